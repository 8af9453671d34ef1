package org.visionserve.service.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.LongSupplier;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.visionserve.service.config.VisionServeProperties;

/**
 * A minimum upload rate: once {@code visionserve.limits.upload-grace-period} has passed since the body's
 * first byte, a read fails with {@link UploadTooSlowException} when the body has arrived at less than
 * {@code min-upload-bytes-per-second} on average, so a client trickling bytes cannot hold a server thread
 * for long. A body that stops altogether is cut by Tomcat's upload read timeout ({@link TomcatSetup}).
 * Covers bodies read through {@code getInputStream()} (raw image and clip uploads); multipart bodies are
 * parsed by Tomcat from its own stream, where only the read timeout applies.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class UploadRateFilter extends OncePerRequestFilter {

    /** Request attribute set when reading the body failed (the client went away or was too slow). */
    public static final String UPLOAD_FAILED_ATTRIBUTE = UploadRateFilter.class.getName() + ".failed";

    private final long minBytesPerSecond;
    private final long graceNanos;

    public UploadRateFilter(VisionServeProperties props) {
        this.minBytesPerSecond = props.limits().minUploadBytesPerSecond();
        this.graceNanos = props.limits().uploadGracePeriod().toNanos();
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return request.getContentLengthLong() <= 0 && request.getHeader("Transfer-Encoding") == null;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        chain.doFilter(new HttpServletRequestWrapper(request) {
            private ServletInputStream in;

            @Override
            public ServletInputStream getInputStream() throws IOException {
                if (in == null) {
                    in = new RateCheckedStream(request.getInputStream(), minBytesPerSecond, graceNanos,
                            System::nanoTime, () -> request.setAttribute(UPLOAD_FAILED_ATTRIBUTE, true));
                }
                return in;
            }
        }, response);
    }

    /** A body read too slowly; answered 408 request-timeout. */
    public static class UploadTooSlowException extends IOException {
        public UploadTooSlowException(String message) {
            super(message);
        }
    }

    /** Counts the bytes read and checks the average rate after every read that returns. */
    static final class RateCheckedStream extends ServletInputStream {
        private final ServletInputStream in;
        private final long minBytesPerSecond;
        private final long graceNanos;
        private final LongSupplier clock;
        private final Runnable onFailure;
        private long first = -1;
        private long bytes;

        RateCheckedStream(ServletInputStream in, long minBytesPerSecond, long graceNanos, LongSupplier clock,
                          Runnable onFailure) {
            this.in = in;
            this.minBytesPerSecond = minBytesPerSecond;
            this.graceNanos = graceNanos;
            this.clock = clock;
            this.onFailure = onFailure;
        }

        @Override
        public int read() throws IOException {
            int b = read0(in::read);
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = read0(() -> in.read(buf, off, len));
            if (n > 0) {
                counted(n);
            }
            return n;
        }

        private interface Read {
            int read() throws IOException;
        }

        private int read0(Read read) throws IOException {
            try {
                return read.read();
            } catch (IOException e) {
                onFailure.run();
                throw e;
            }
        }

        private void counted(int n) throws IOException {
            long now = clock.getAsLong();
            if (first < 0) {
                first = now;
            }
            bytes += n;
            long elapsed = now - first;
            // bytes / seconds < min, without dividing by a zero elapsed time
            if (elapsed > graceNanos && bytes * 1_000_000_000.0 < minBytesPerSecond * (double) elapsed) {
                onFailure.run();
                throw new UploadTooSlowException(String.format("the body arrived at %.0f bytes/s, below the"
                        + " minimum of %d (visionserve.limits.min-upload-bytes-per-second)",
                        bytes * 1e9 / elapsed, minBytesPerSecond));
            }
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
