package org.visionserve.service;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The lines written to the {@code visionserve.audit} logger while open (the real logger, an in-memory appender). */
public final class AuditLines implements AutoCloseable {

    private final Logger logger = (Logger) LoggerFactory.getLogger("visionserve.audit");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    public AuditLines() {
        appender.start();
        logger.addAppender(appender);
    }

    /** Every line so far, formatted. */
    public synchronized List<String> lines() {
        synchronized (appender.list) {
            return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
