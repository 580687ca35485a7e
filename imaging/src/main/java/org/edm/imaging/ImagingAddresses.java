package org.edm.imaging;

/** The imaging concern's event-bus API. */
public final class ImagingAddresses {

  /** {}: replies {status: up|down} for /health. */
  public static final String HEALTH = "imaging.health";

  private ImagingAddresses() {
  }
}
