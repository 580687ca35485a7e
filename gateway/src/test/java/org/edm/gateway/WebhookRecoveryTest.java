package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import org.edm.tracking.TrackingVerticle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A callback stored while the concern that applies it is down waits in the outbox and is
 * applied once it is back; in report mode a bad signature is counted but not refused.
 */
class WebhookRecoveryTest {

  private static TestSystem system;

  @BeforeAll
  static void start() {
    system = TestSystem.start("webhook_recovery", Map.of(
      "EDM_ROLES", "gateway,webhook,sessions,imaging",
      "WEBHOOK_SECRET", "example-app-key-123",
      "WEBHOOK_VERIFY_MODE", "report"));
  }

  @AfterAll
  static void stop() {
    system.close();
  }

  @Test
  void appliesACallbackStoredWhileTrackingWasDownOnceItIsBack() throws SQLException {
    UUID id = UUID.randomUUID();
    insertMessage(id, "late@example.net");
    String delivered = new JsonObject().put("to", "late@example.net").put("itime", 1714000900000L)
      .put("custom_args", new JsonObject().put("message_id", id.toString()))
      .put("status", new JsonObject().put("message_status", "delivered")
        .put("status_data", new JsonObject().put("email_id", "req-late$late@example.net")))
      .encode();

    HttpResponse<Buffer> response = system.http.post("/webhook/engagelab")
      .putHeader("X-WebHook-Timestamp", "1714000000")
      .putHeader("X-WebHook-AppKey", "email")
      .putHeader("X-WebHook-Signature", "not-the-signature")
      .sendBuffer(Buffer.buffer(delivered)).await();
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getJsonObject("data").getString("verified"))
      .isEqualTo("failed");

    TestSystem.await("the apply attempt fails for want of tracking", 10_000, () ->
      system.queryLong("SELECT count(*) FROM webhook.outbox WHERE last_error IS NOT NULL") == 1);
    assertThat(status(id)).isEqualTo("sent");

    system.running.vertx().deployVerticle(TrackingVerticle::new,
      new DeploymentOptions().setConfig(system.running.config())).await();
    TestSystem.await("the outbox is drained", 20_000, () ->
      system.queryLong("SELECT count(*) FROM webhook.outbox") == 0);
    assertThat(status(id)).isEqualTo("delivered");
    assertThat(system.queryLong(
      "SELECT count(*) FROM webhook.outcomes WHERE matched_message_id = ?", id)).isEqualTo(1);
  }

  private static String status(UUID id) throws SQLException {
    try (Connection conn = system.jdbc(); PreparedStatement query =
           conn.prepareStatement("SELECT status FROM tracking.messages WHERE id = ?")) {
      query.setObject(1, id);
      var rows = query.executeQuery();
      rows.next();
      return rows.getString(1);
    }
  }

  private static void insertMessage(UUID id, String recipient) throws SQLException {
    try (Connection conn = system.jdbc()) {
      try (PreparedStatement campaign = conn.prepareStatement(
          "INSERT INTO tracking.campaigns (id, owner_id) VALUES ('late', 1)")) {
        campaign.executeUpdate();
      }
      try (PreparedStatement message = conn.prepareStatement("INSERT INTO tracking.messages "
          + "(id, campaign_id, owner_id, recipient) VALUES (?, 'late', 1, ?)")) {
        message.setObject(1, id);
        message.setString(2, recipient);
        message.executeUpdate();
      }
    }
  }
}
