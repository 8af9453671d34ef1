package org.visionserve.service.security;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.util.matcher.RequestMatcher;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.visionserve.service.metrics.ServiceMetrics;

/**
 * Who may call what (the table is in docs/SERVICE.md, "Authentication"). With no credential configured
 * every request is allowed, and a warning says so when the server listens beyond loopback. With API keys
 * or JWTs: the probes (Spring's and the Open Inference Protocol's) are open, Prometheus is open on a
 * separate management port, the repository (model control) API needs {@code admin}, everything else under
 * {@code /v1} and {@code /v2} needs {@code infer}; health details and the other actuator endpoints need
 * {@code admin}. Stateless: no session, no CSRF token (bearer credentials only), no login page.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(SecurityProperties.class)
public class SecurityConfig {

    private static final Logger log = LoggerFactory.getLogger(SecurityConfig.class);

    static final String[] PROBES = {"/actuator/health/liveness", "/actuator/health/readiness",
            "/v2/health/live", "/v2/health/ready"};
    static final String[] API_DOCS = {"/v3/api-docs", "/v3/api-docs/**", "/v3/api-docs.yaml",
            "/swagger-ui.html", "/swagger-ui/**"};

    @Bean
    SecurityFilterChain securityFilterChain(HttpSecurity http, Authenticator authenticator, RateLimiter rateLimiter,
                                            ServiceMetrics metrics, SecurityProperties props, ManagementPort management,
                                            @Qualifier("handlerExceptionResolver") HandlerExceptionResolver problems)
            throws Exception {
        http.csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(c -> c.disable())
                .formLogin(f -> f.disable())
                .httpBasic(b -> b.disable())
                .logout(l -> l.disable());
        if (!authenticator.enabled()) {
            return http.authorizeHttpRequests(a -> a.anyRequest().permitAll()).build();
        }
        RequestMatcher prometheusOnManagementPort = req -> management.isManagementPort(req)
                && "/actuator/prometheus".equals(req.getRequestURI());
        http.addFilterBefore(new AuthenticationFilter(authenticator, rateLimiter, metrics, problems),
                        AuthorizationFilter.class)
                .exceptionHandling(e -> e
                        .authenticationEntryPoint((req, res, ex) -> {
                            // only anonymous requests get here: bad credentials were refused by the filter
                            Authenticator.Result missing = authenticator.authenticate(null);
                            problems.resolveException(req, res, null,
                                    new AuthenticationFailedException(missing.failure(), missing.message()));
                        })
                        .accessDeniedHandler((req, res, ex) -> problems.resolveException(req, res, null, ex)))
                .authorizeHttpRequests(a -> {
                    // the answer to a request already authorized (errors written by the container)
                    a.dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.ASYNC).permitAll();
                    a.requestMatchers(PROBES).permitAll();
                    a.requestMatchers(prometheusOnManagementPort).permitAll();
                    // the status for anyone; details only for admin (management.endpoint.health.roles)
                    a.requestMatchers("/actuator/health", "/actuator/health/**").permitAll();
                    a.requestMatchers("/actuator/**").hasRole(Caller.ADMIN);
                    if (props.apiDocsPublic()) {
                        a.requestMatchers(API_DOCS).permitAll();
                    }
                    a.requestMatchers("/v2/repository/**").hasRole(Caller.ADMIN);
                    a.requestMatchers("/v1/**", "/v2/**").hasRole(Caller.INFER);
                    a.requestMatchers(API_DOCS).hasRole(Caller.INFER);
                    a.anyRequest().authenticated();
                });
        return http.build();
    }

    /** The management server's port when it is separate from the main one (else -1). */
    @Bean
    ManagementPort managementPort(@Value("${server.port:8080}") int serverPort,
                                  @Value("${management.server.port:-1}") int managementPort) {
        return new ManagementPort(managementPort > 0 && managementPort != serverPort ? managementPort : -1);
    }

    /** Tracks the management server's actual port (it may be 0 in config: any free one). */
    public static final class ManagementPort {
        private volatile int port;

        ManagementPort(int port) {
            this.port = port;
        }

        boolean isManagementPort(HttpServletRequest req) {
            return port > 0 && req.getLocalPort() == port;
        }

        @EventListener
        void started(WebServerInitializedEvent event) {
            if ("management".equals(event.getApplicationContext().getServerNamespace())) {
                port = event.getWebServer().getPort();
            }
        }
    }

    @Bean
    OpenServerWarning openServerWarning(Authenticator authenticator,
                                        @Value("${server.address:#{null}}") InetAddress address) {
        return new OpenServerWarning(authenticator.enabled(), address);
    }

    /** Warns once the main server listens beyond loopback with no authentication. */
    public static final class OpenServerWarning {
        private final boolean authenticated;
        private final InetAddress address;

        OpenServerWarning(boolean authenticated, InetAddress address) {
            this.authenticated = authenticated;
            this.address = address;
        }

        @EventListener
        void started(WebServerInitializedEvent event) {
            if (event.getApplicationContext().getServerNamespace() == null) {
                check(event.getWebServer().getPort());
            }
        }

        /** Whether it warned. */
        boolean check(int port) {
            if (authenticated || address != null && address.isLoopbackAddress()) {
                return false;
            }
            log.warn("listening on {}:{} WITHOUT AUTHENTICATION: anyone who reaches the port can run inference "
                    + "and manage models. Set visionserve.security.api-keys-file or a JWT issuer "
                    + "(spring.security.oauth2.resourceserver.jwt.issuer-uri), or server.address=127.0.0.1 for "
                    + "local use (docs/SERVICE.md, Authentication)", address == null ? "*" : address.getHostAddress(), port);
            return true;
        }
    }
}
