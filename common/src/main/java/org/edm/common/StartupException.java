package org.edm.common;

/** Start-up cannot go on: a dependency is unreachable or refuses; the message says which. */
public class StartupException extends RuntimeException {

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }

  public StartupException(String message) {
    super(message);
  }
}
