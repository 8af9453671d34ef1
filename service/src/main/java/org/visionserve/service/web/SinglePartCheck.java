package org.visionserve.service.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.MethodParameter;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartRequest;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.util.WebUtils;

/**
 * Refuses (400 {@code duplicate-part}) a multipart request that repeats a part its handler takes once
 * ({@code @RequestPart MultipartFile}): Spring would bind the first and silently drop the others, so
 * the client would get an answer about an image it may not have meant. Repeatable parts are lists.
 */
@Component
public class SinglePartCheck implements HandlerInterceptor, WebMvcConfigurer {

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this);
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
            throws Exception {
        if (!(handler instanceof HandlerMethod method) || WebUtils.getNativeRequest(request, MultipartRequest.class) == null) {
            return true;
        }
        for (MethodParameter p : method.getMethodParameters()) {
            RequestPart part = p.getParameterAnnotation(RequestPart.class);
            if (part == null || p.getParameterType() != MultipartFile.class) {
                continue;
            }
            String name = !part.name().isEmpty() ? part.name() : part.value();
            long count = request.getParts().stream().filter(x -> name.equals(x.getName())).count();
            if (count > 1) {
                throw new DuplicatePartException(name, count);
            }
        }
        return true;
    }
}
