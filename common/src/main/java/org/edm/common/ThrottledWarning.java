package org.edm.common;

import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * A warning that a sender can trigger on every request (a bad signature, a callback with an
 * implausible time): logged at most once per interval, with the number of like cases left
 * out since, so that a flood of them cannot flood the log. Metrics count every case.
 */
public final class ThrottledWarning {

  private final Logger log;
  private final long intervalMs;
  private final LongSupplier clock;
  private long lastLoggedMs = Long.MIN_VALUE;
  private long leftOut;

  public ThrottledWarning(Logger log, long intervalMs) {
    this(log, intervalMs, System::currentTimeMillis);
  }

  ThrottledWarning(Logger log, long intervalMs, LongSupplier clock) {
    this.log = log;
    this.intervalMs = intervalMs;
    this.clock = clock;
  }

  /** Logs the message (an SLF4J pattern) unless one was logged within the interval. */
  public void warn(String pattern, Object... args) {
    long skipped;
    synchronized (this) {
      long now = clock.getAsLong();
      if (lastLoggedMs != Long.MIN_VALUE && now - lastLoggedMs < intervalMs) {
        leftOut++;
        return;
      }
      lastLoggedMs = now;
      skipped = leftOut;
      leftOut = 0;
    }
    if (skipped == 0) {
      log.warn(pattern, args);
    } else {
      log.warn(pattern + " ({} like warnings left out before this one)", append(args, skipped));
    }
  }

  private static Object[] append(Object[] args, Object last) {
    Object[] all = new Object[args.length + 1];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = last;
    return all;
  }
}
