package org.edm.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.edm.common.ConfigException;
import org.edm.common.StartupException;
import org.junit.jupiter.api.Test;

/** Start-up stops with a message that names the bad setting or the unreachable service. */
class StartupTest {

  @Test
  void noticesTrackingLinksThatPointAtAnotherLocalPort() {
    assertThat(Launcher.pointsAtAnotherLocalPort("http://localhost:8080", 18990)).isTrue();
    assertThat(Launcher.pointsAtAnotherLocalPort("http://127.0.0.1", 8080)).isTrue();
    assertThat(Launcher.pointsAtAnotherLocalPort("http://localhost:8080", 8080)).isFalse();
    // Behind a proxy or a public name the port differs on purpose.
    assertThat(Launcher.pointsAtAnotherLocalPort("https://t.example.com", 8080)).isFalse();
    assertThat(Launcher.pointsAtAnotherLocalPort("http://localhost:80", 80)).isFalse();
  }

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
  void refusesAnOptionThatNeedsAValueWithoutOne() {
    for (String[] args : List.of(new String[] {"--cluster-members"},
        new String[] {"--roles=gateway", "--cluster-members="}, new String[] {"--conf"})) {
      String option = args[args.length - 1].replace("=", "");
      assertThatThrownBy(() -> Main.environment(args))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(option)
        .hasMessageContaining("needs a value");
    }
    assertThat(Main.environment(new String[] {"--cluster", "--cluster-members=h:5701"}))
      .containsEntry("EDM_CLUSTER", "true")
      .containsEntry("EDM_CLUSTER_MEMBERS", "h:5701");
  }

  @Test
  void keepsTheAdminPasswordFileWhenAnotherDatabaseSharesTheStateDirectory() throws Exception {
    Path state = Files.createTempDirectory("edm-shared-state");
    Path file = state.resolve("admin-password");
    Map<String, String> generated = Map.of("EDM_STATE_DIR", state.toString(),
      "EDM_ADMIN_PASSWORD", "");
    try (TestSystem first = TestSystem.start("adminfirst", generated)) {
      String password = Files.readString(file).trim();
      assertThat(password).isNotEmpty().isNotEqualTo(TestSystem.ADMIN_PASSWORD);
      first.login("admin", password);

      try (TestSystem second = TestSystem.start("adminsecond", generated)) {
        assertThat(Files.readString(file).trim()).isEqualTo(password);
        first.login("admin", password);
        second.login("admin", password);
      }
    }
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
