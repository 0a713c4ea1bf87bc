package dev.parapet.guard.server;

import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * Formats the access log as bare JSON lines (JUL's default is two lines with a date). Attach it to a handler on
 * the logger {@value #LOGGER}. Stateless, thread-safe.
 */
public final class AccessLogFormatter extends Formatter {
  /** The access log's java.util.logging logger name. */
  public static final String LOGGER = AccessLog.LOGGER;

  @Override
  public String format(LogRecord record) {
    return record.getMessage() + System.lineSeparator();
  }
}
