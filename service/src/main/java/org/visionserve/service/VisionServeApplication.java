package org.visionserve.service;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class VisionServeApplication {

    public static void main(String[] args) {
        SpringApplication.run(VisionServeApplication.class, args);
    }
}
