package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.edm.common.ConfigException;
import org.edm.common.StartupException;
import org.junit.jupiter.api.Test;

/** Start-up stops with a message that names the bad setting or the unreachable service. */
class StartupTest {

  @Test
  void namesTheKeyOfAMalformedSetting() {
    assertThatThrownBy(() -> Launcher.start(Map.of("EDM_HTTP_PORT", "eighty")))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("EDM_HTTP_PORT")
      .hasMessageContaining("eighty");
    assertThatThrownBy(() -> Launcher.start(Map.of("EDM_PG_URL", "mysql://db/x",
        "EDM_TRACKING_SECRET", "0123456789abcdef0")))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("EDM_PG_URL");
    assertThatThrownBy(() -> Launcher.start(Map.of("EDM_ROLES", "gateway,mailer")))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("mailer");
    assertThatThrownBy(() -> Launcher.start(Map.of("TRACKING_BASE_URL", "track.example.com",
        "EDM_TRACKING_SECRET", "0123456789abcdef0")))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("TRACKING_BASE_URL");
  }

  @Test
  void failsFastSayingWhichServiceIsUnreachableAndWhere() {
    int closed = TestSystem.freePort();
    assertThatThrownBy(() -> Launcher.start(Map.of(
        "EDM_PG_URL", "postgresql://postgres:hunter2@127.0.0.1:" + closed + "/edm",
        "EDM_TRACKING_SECRET", "0123456789abcdef0", "EDM_JWT_SECRET", "x".repeat(32))))
      .isInstanceOf(StartupException.class)
      .hasMessageContaining("PostgreSQL")
      .hasMessageContaining("127.0.0.1:" + closed)
      .hasMessageNotContaining("hunter2");

    TestSystem system = null;
    try {
      system = TestSystem.start("noredis",
        Map.of("EDM_REDIS_URL", "redis://127.0.0.1:" + closed + "/0"));
    } catch (StartupException e) {
      assertThat(e.getMessage()).contains("Redis").contains("127.0.0.1:" + closed);
      return;
    } finally {
      if (system != null) {
        system.close();
      }
    }
    throw new AssertionError("started although Redis was unreachable");
  }
}
