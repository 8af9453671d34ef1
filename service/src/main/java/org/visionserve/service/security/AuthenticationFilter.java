package org.visionserve.service.security;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.visionserve.service.metrics.ServiceMetrics;

/**
 * In Spring Security's chain (not a servlet filter of its own): a request with an {@code Authorization}
 * header is authenticated by the {@link Authenticator} and its caller put in the security context (so
 * {@code getUserPrincipal()} names it), then charged to its rate limit. Bad credentials are refused 401
 * on every path; a request without any goes on as anonymous and the authorization rules decide.
 * Refusals are problem+json through the MVC exception handlers (web/ProblemHandler).
 */
final class AuthenticationFilter extends OncePerRequestFilter {

    private final Authenticator authenticator;
    private final RateLimiter rateLimiter;
    private final ServiceMetrics metrics;
    private final HandlerExceptionResolver problems;

    AuthenticationFilter(Authenticator authenticator, RateLimiter rateLimiter, ServiceMetrics metrics,
                         HandlerExceptionResolver problems) {
        this.authenticator = authenticator;
        this.rateLimiter = rateLimiter;
        this.metrics = metrics;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            chain.doFilter(request, response);
            return;
        }
        Authenticator.Result r = authenticator.authenticate(header);
        if (!r.ok()) {
            problems.resolveException(request, response, null, new AuthenticationFailedException(r.failure(), r.message()));
            return;
        }
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(new CallerAuthentication(r.caller()));
        SecurityContextHolder.setContext(context);
        RateLimiter.Decision d = rateLimiter.acquire(r.caller());
        if (d != null) {
            if (!d.allowed()) {
                metrics.countRateLimited(d.policy().name());
                problems.resolveException(request, response, null, new RateLimitedException(d));
                return;
            }
            RateLimitHeaders.apply(d, response::setHeader);
        }
        chain.doFilter(request, response);
    }
}
