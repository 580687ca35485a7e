package org.edm.gateway;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import org.edm.common.StartupException;

/** Secrets generated once on a single machine and kept in files only the owner can read. */
final class Secrets {

  private static final SecureRandom RANDOM = new SecureRandom();

  private Secrets() {
  }

  static String random(int bytes) {
    byte[] raw = new byte[bytes];
    RANDOM.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }

  /** The value stored under name in stateDir/secrets.json, created on first use. */
  static synchronized String stored(Path stateDir, String name) {
    Path file = stateDir.resolve("secrets.json");
    try {
      JsonObject secrets = Files.exists(file)
        ? new JsonObject(Files.readString(file))
        : new JsonObject();
      String value = secrets.getString(name);
      if (value == null) {
        value = random(32);
        secrets.put(name, value);
        writePrivate(file, secrets.encodePrettily());
      }
      return value;
    } catch (IOException | RuntimeException e) {
      throw new StartupException("cannot keep generated secrets in " + file.toAbsolutePath()
        + ": " + e.getMessage(), e);
    }
  }

  /** Writes a file readable by its owner only. */
  static void writePrivate(Path file, String content) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(temp);
    Files.createFile(temp, PosixFilePermissions.asFileAttribute(
      PosixFilePermissions.fromString("rw-------")));
    Files.writeString(temp, content, StandardCharsets.UTF_8, StandardOpenOption.WRITE);
    Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
      java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
