package org.visionserve.service.web;

import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;

/**
 * The embedded Tomcat's own error answers: what Tomcat refuses before any servlet (an encoded {@code /}
 * in the path: 400) is answered by {@link ProblemReportValve} as problem+json, instead of its HTML page.
 * Runs after Spring Boot's own customizer, which adds that HTML valve.
 */
@Component
public class TomcatSetup implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {

    @Override
    public void customize(TomcatServletWebServerFactory factory) {
        factory.addContextCustomizers(context -> {
            StandardHost host = (StandardHost) context.getParent();
            Pipeline pipeline = host.getPipeline();
            for (Valve v : pipeline.getValves()) {
                if (v instanceof ErrorReportValve) {
                    pipeline.removeValve(v);
                }
            }
            host.setErrorReportValveClass(ProblemReportValve.class.getName());
            pipeline.addValve(new ProblemReportValve());
        });
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
