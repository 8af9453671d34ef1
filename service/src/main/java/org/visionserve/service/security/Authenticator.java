package org.visionserve.service.security;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.stereotype.Component;
import org.visionserve.service.metrics.ServiceMetrics;

/**
 * The one place a credential is checked, for HTTP (through {@link AuthenticationFilter}) and any other
 * protocol (a gRPC interceptor calls {@link #authenticate} with its {@code authorization} metadata):
 * {@code Bearer KEY} against the API keys file, or {@code Bearer JWT} through Spring Security's resource
 * server decoder (signature from the JWK set, issuer, expiry), roles from the configured claim. Every
 * failure is counted in {@code visionserve_auth_failures_total} by reason; no credential is ever logged.
 */
@Component
public class Authenticator {

    private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

    /** A caller, or why there is none (with a message safe to show the client). */
    public record Result(Caller caller, AuthFailure failure, String message) {
        public boolean ok() {
            return caller != null;
        }

        static Result failed(AuthFailure failure, String message) {
            return new Result(null, failure, message);
        }
    }

    private final ApiKeys apiKeys;
    private final JwtDecoder jwt;
    private final SecurityProperties.Jwt claims;
    private final ServiceMetrics metrics;

    public Authenticator(SecurityProperties props, ObjectProvider<JwtDecoder> jwt, ServiceMetrics metrics) {
        // an empty value (VISIONSERVE_SECURITY_APIKEYSFILE= in the image) means no keys file
        this.apiKeys = props.apiKeysFile() == null || props.apiKeysFile().toString().isBlank() ? null
                : new ApiKeys(props.apiKeysFile(), props.apiKeysReloadInterval(), System::nanoTime);
        this.jwt = jwt.getIfAvailable();
        this.claims = props.jwt();
        this.metrics = metrics;
    }

    /** Whether any credential is configured; without one the service is open. */
    public boolean enabled() {
        return apiKeys != null || jwt != null;
    }

    /** What a client must send, for {@code WWW-Authenticate} and problem details. */
    public String scheme() {
        return apiKeys != null && jwt != null ? "an API key or a JWT" : apiKeys != null ? "an API key" : "a JWT";
    }

    /**
     * The caller an {@code Authorization} header value names ({@code Bearer CREDENTIAL}), or the failure;
     * a null or blank header is {@link AuthFailure#MISSING}.
     */
    public Result authenticate(String authorization) {
        Result r = check(authorization);
        if (!r.ok()) {
            metrics.countAuthFailure(r.failure().tag);
        }
        return r;
    }

    private Result check(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return Result.failed(AuthFailure.MISSING, "this endpoint needs " + scheme()
                    + ": send it as 'Authorization: Bearer <credential>'");
        }
        String[] parts = authorization.strip().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer") || parts[1].isBlank()) {
            return Result.failed(AuthFailure.MALFORMED, "the Authorization header must be 'Bearer <credential>'");
        }
        String credential = parts[1].strip();
        if (apiKeys != null) {
            Caller c = apiKeys.match(credential);
            if (c != null) {
                return new Result(c, null, null);
            }
        }
        if (jwt != null && credential.chars().filter(ch -> ch == '.').count() == 2) {
            return token(credential);
        }
        return Result.failed(AuthFailure.INVALID_KEY, "the bearer credential is not a valid "
                + (apiKeys != null ? "API key" : "JWT"));
    }

    private Result token(String token) {
        Jwt decoded;
        try {
            decoded = jwt.decode(token);
        } catch (JwtValidationException e) {
            boolean expired = e.getErrors().stream().map(OAuth2Error::getDescription)
                    .anyMatch(d -> d != null && d.startsWith("Jwt expired"));
            return expired ? Result.failed(AuthFailure.EXPIRED_TOKEN, "the token has expired")
                    : Result.failed(AuthFailure.INVALID_TOKEN, "the token is not valid here: " + describe(e.getErrors()));
        } catch (BadJwtException e) {
            return Result.failed(AuthFailure.INVALID_TOKEN, "the token could not be verified");
        } catch (JwtException e) {
            // the issuer or its JWK set could not be reached: the server's problem, but no caller either
            log.warn("a JWT could not be checked: {}", e.getMessage());
            return Result.failed(AuthFailure.INVALID_TOKEN, "the token could not be checked against its issuer");
        }
        Object nameClaim = decoded.getClaims().get(claims.nameClaim());
        String name = nameClaim != null ? nameClaim.toString() : decoded.getSubject();
        if (name == null || name.isBlank()) {
            return Result.failed(AuthFailure.INVALID_TOKEN, "the token names no caller (claim '"
                    + claims.nameClaim() + "')");
        }
        return new Result(new Caller(name, roles(decoded.getClaims())), null, null);
    }

    /** The known roles ({@code infer}, {@code admin}) in the roles claim; others are ignored. */
    Set<String> roles(Map<String, Object> all) {
        Object value = all;
        for (String step : claims.rolesClaim().split("\\.")) {
            value = value instanceof Map<?, ?> m ? m.get(step) : null;
        }
        List<String> listed = new ArrayList<>();
        if (value instanceof Collection<?> c) {
            c.forEach(v -> listed.add(String.valueOf(v)));
        } else if (value instanceof String s) {
            listed.addAll(List.of(s.split("[\\s,]+")));
        }
        Set<String> roles = new TreeSet<>();
        for (String r : listed) {
            if (r.equals(Caller.INFER) || r.equals(Caller.ADMIN)) {
                roles.add(r);
            }
        }
        return roles;
    }

    private static String describe(Collection<OAuth2Error> errors) {
        List<String> d = new ArrayList<>();
        errors.forEach(e -> d.add(e.getDescription()));
        return String.join("; ", d);
    }
}
