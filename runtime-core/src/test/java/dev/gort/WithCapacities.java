package dev.gort;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.ArgumentsProvider;
import org.junit.jupiter.params.provider.ArgumentsSource;
import org.junit.jupiter.params.support.AnnotationConsumer;

/**
 * Runs a channel test once per capacity (jox's {@code @TestWithCapacities}): unbuffered, the
 * smallest buffers, where a buffer fills at once, and larger ones. The method's first parameter
 * is the capacity. If its second parameter is an enum (such as the kind of party on the other
 * side), the test runs for every capacity with every constant of that enum.
 *
 * <pre>{@code
 * @WithCapacities
 * void fifo(int capacity) { ... }
 *
 * @WithCapacities({0, 10})
 * void neverPairsWithItself(int capacity, Mode mode) { ... }
 * }</pre>
 */
@Documented
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "capacity {arguments}")
@ArgumentsSource(WithCapacities.Capacities.class)
public @interface WithCapacities {
    /** The capacities to run with. */
    int[] value() default {0, 1, 2, 10, 100, 1000};

    /** The arguments: each capacity, crossed with the constants of an enum second parameter. */
    final class Capacities implements ArgumentsProvider, AnnotationConsumer<WithCapacities> {
        private int[] capacities;

        @Override
        public void accept(WithCapacities annotation) {
            capacities = annotation.value();
        }

        @Override
        public Stream<? extends Arguments> provideArguments(ExtensionContext context) {
            Class<?>[] types = context.getRequiredTestMethod().getParameterTypes();
            Object[] constants = types.length > 1 && types[1].isEnum() ? types[1].getEnumConstants() : null;
            List<Arguments> out = new ArrayList<>();
            for (int capacity : capacities) {
                if (constants == null) {
                    out.add(Arguments.of(capacity));
                } else {
                    for (Object c : constants) out.add(Arguments.of(capacity, c));
                }
            }
            return out.stream();
        }
    }
}
