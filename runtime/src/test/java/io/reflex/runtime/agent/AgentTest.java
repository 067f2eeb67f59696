package io.reflex.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class AgentTest {

    @Test
    void idleStrategiesAreKnownByNameAndOnlyBusySpinSpins() {
        for (String name : IdleStrategies.NAMES) {
            IdleStrategy s = IdleStrategies.byName(name);
            s.idle(1);
            s.reset();
            assertThat(s.spins()).as(name).isEqualTo(name.equals("busy-spin"));
        }
        assertThatThrownBy(() -> IdleStrategies.byName("sleepy"))
                .hasMessage("idle strategy 'sleepy' is not known; allowed: [busy-spin, yield, backoff, park]");
    }

    @Test
    void aCompositeRunsEveryAgentInOrderAndSumsTheWork() throws Exception {
        List<String> calls = new ArrayList<>();
        Agent a = agent("a", calls, 2);
        Agent b = agent("b", calls, 3);
        CompositeAgent c = new CompositeAgent("ab", List.of(a, b));
        c.onStart();
        assertThat(c.doWork()).isEqualTo(5);
        c.onClose();
        assertThat(calls).containsExactly("a:start", "b:start", "a", "b", "a:close", "b:close");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void aRunnerReportsAndCountsErrorsAndKeepsRunning() throws Exception {
        CountDownLatch threeCalls = new CountDownLatch(3);
        List<String> errors = new ArrayList<>();
        Agent failing = new Agent() {
            @Override
            public int doWork() {
                threeCalls.countDown();
                throw new IllegalStateException("boom");
            }

            @Override
            public String roleName() {
                return "failing";
            }
        };
        AgentRunner runner = new AgentRunner(failing, IdleStrategies.byName("yield"), (src, e) -> {
            synchronized (errors) {
                errors.add(src + ": " + e.getMessage());
            }
        }).start();
        assertThat(threeCalls.await(5, TimeUnit.SECONDS)).isTrue();
        runner.close();
        assertThat(runner.errors()).isGreaterThanOrEqualTo(3);
        runner.thread().join(5_000);
        assertThat(runner.thread().isAlive()).isFalse();
        synchronized (errors) {
            assertThat(errors).first().isEqualTo("failing: boom");
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void anAgentThatFailsToStartIsReportedCountedAndNeverRun() throws Exception {
        List<String> calls = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Agent broken = new Agent() {
            @Override
            public void onStart() {
                throw new IllegalStateException("no appender");
            }

            @Override
            public int doWork() {
                synchronized (calls) {
                    calls.add("work");
                }
                return 0;
            }

            @Override
            public void onClose() {
                synchronized (calls) {
                    calls.add("close");
                }
            }

            @Override
            public String roleName() {
                return "broken";
            }
        };
        AgentRunner runner = new AgentRunner(broken, IdleStrategies.byName("yield"), (src, e) -> {
            synchronized (errors) {
                errors.add(src + ": " + e.getMessage());
            }
        }).start();
        runner.thread().join(5_000);
        assertThat(runner.thread().isAlive()).isFalse();
        runner.close();
        assertThat(runner.errors()).isEqualTo(1);
        synchronized (errors) {
            assertThat(errors).containsExactly("broken: no appender");
        }
        synchronized (calls) {
            assertThat(calls).containsExactly("close");
        }
    }

    private static Agent agent(String name, List<String> calls, int work) {
        return new Agent() {
            @Override
            public void onStart() {
                calls.add(name + ":start");
            }

            @Override
            public int doWork() {
                calls.add(name);
                return work;
            }

            @Override
            public void onClose() {
                calls.add(name + ":close");
            }

            @Override
            public String roleName() {
                return name;
            }
        };
    }
}
