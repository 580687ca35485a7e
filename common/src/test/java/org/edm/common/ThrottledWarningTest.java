package org.edm.common;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ThrottledWarningTest {

  @Test
  void logsOncePerIntervalAndSaysHowManyWereLeftOut() {
    Logger logger = (Logger) LoggerFactory.getLogger("throttled-warning-test");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    AtomicLong now = new AtomicLong(1_000_000);
    ThrottledWarning warning = new ThrottledWarning(logger, 60_000, now::get);

    warning.warn("callback refused: {}", "bad signature");
    for (int i = 0; i < 500; i++) {
      now.addAndGet(100);
      warning.warn("callback refused: {}", "bad signature " + i);
    }
    assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
      .containsExactly("callback refused: bad signature");

    now.addAndGet(60_000);
    warning.warn("callback refused: {}", "expired");
    now.addAndGet(60_000);
    warning.warn("callback refused: {}", "stale");
    assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
      "callback refused: bad signature",
      "callback refused: expired (500 like warnings left out before this one)",
      "callback refused: stale");
  }
}
