package org.edm.common;

/** A setting is missing or malformed; the message names the key and, where it has one, the
 *  environment variable that sets it. */
public class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }
}
