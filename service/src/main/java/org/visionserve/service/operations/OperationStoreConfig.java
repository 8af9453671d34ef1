package org.visionserve.service.operations;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.visionserve.service.config.OperationsProperties;

/**
 * The operation store of {@code visionserve.operations.store}: memory (default), or Redis at
 * {@code visionserve.operations.redis.url} through Spring Data Redis and Lettuce. The service makes its
 * own connection (Boot's Redis auto-configuration is not on the class path): nothing connects to Redis
 * unless that store is chosen.
 */
@Configuration(proxyBeanMethods = false)
public class OperationStoreConfig {

    @Bean
    @ConditionalOnProperty(name = "visionserve.operations.store", havingValue = "memory", matchIfMissing = true)
    OperationStore memoryOperationStore() {
        return new MemoryOperationStore();
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(name = "visionserve.operations.store", havingValue = "redis")
    static class Redis {

        @Bean
        LettuceConnectionFactory operationsRedis(OperationsProperties props) {
            RedisConfiguration server = LettuceConnectionFactory.createRedisConfiguration(props.redis().url());
            return new LettuceConnectionFactory(server, LettuceClientConfiguration.defaultConfiguration());
        }

        @Bean
        RedisMessageListenerContainer operationsRedisListeners(LettuceConnectionFactory factory) {
            RedisMessageListenerContainer c = new RedisMessageListenerContainer();
            c.setConnectionFactory(factory);
            return c;
        }

        @Bean
        OperationStore redisOperationStore(LettuceConnectionFactory factory, RedisMessageListenerContainer listeners,
                                           OperationsProperties props) {
            return new RedisOperationStore(factory, listeners, props.redis().keyPrefix());
        }
    }
}
