package io.reflex.runtime.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class AgentTest {

    @Test
    void idleStrategiesAreKnownByNameAndOnlyBusySpinSpins() {
        for (String name : IdleStrategies.NAMES) {
            IdleStrategy s = IdleStrategies.byName(name);
            s.idle(1);
            s.reset();
            assertThat(IdleStrategies.spins(name)).as(name).isEqualTo(name.equals("busy-spin"));
            assertThat(s instanceof BusySpinIdleStrategy).as(name).isEqualTo(name.equals("busy-spin"));
        }
        assertThatThrownBy(() -> IdleStrategies.byName("sleepy"))
                .hasMessage("idle strategy 'sleepy' is not known; allowed: [busy-spin, yield, backoff, park]");
    }

    @Test
    void aCompositeRunsEveryAgentInOrderAndSumsTheWork() throws Exception {
        List<String> calls = new ArrayList<>();
        Agent a = agent("a", calls, 2);
        Agent b = agent("b", calls, 3);
        Agent c = Agents.composite("ab", List.of(a, b));
        assertThat(c.roleName()).isEqualTo("ab");
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
        ErrorHandler handler = (src, e) -> {
            synchronized (errors) {
                errors.add(src + ": " + e.getMessage());
            }
        };
        AgentRunner runner = Agents.runner(failing, IdleStrategies.byName("yield"), handler);
        Thread thread = Agents.startOnThread(runner);
        assertThat(thread.getName()).isEqualTo("reflex-failing");
        assertThat(thread.isDaemon()).isTrue();
        assertThat(threeCalls.await(5, TimeUnit.SECONDS)).isTrue();
        Agents.close(runner, handler);
        thread.join(5_000);
        assertThat(thread.isAlive()).isFalse();
        synchronized (errors) {
            assertThat(errors).hasSizeGreaterThanOrEqualTo(3).first().isEqualTo("failing: boom");
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void anAgentThatFailsToStartIsReportedNeverRunAndClosed() throws Exception {
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
        ErrorHandler handler = (src, e) -> {
            synchronized (errors) {
                errors.add(src + ": " + e.getMessage());
            }
        };
        AgentRunner runner = Agents.runner(broken, IdleStrategies.byName("yield"), handler);
        Thread thread = Agents.startOnThread(runner);
        thread.join(5_000);
        assertThat(thread.isAlive()).isFalse();
        Agents.close(runner, handler);
        synchronized (errors) {
            assertThat(errors).containsExactly("broken: no appender");
        }
        synchronized (calls) {
            assertThat(calls).containsExactly("close");
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void anAgentWhoseStartFailsWithAnErrorIsReportedNeverRunAndClosed() throws Exception {
        List<String> calls = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        Agent broken = new Agent() {
            @Override
            public void onStart() {
                throw new InternalError("no appender");
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
        ErrorHandler handler = (src, e) -> {
            synchronized (errors) {
                errors.add(src + ": " + e.getMessage());
            }
        };
        AgentRunner runner = Agents.runner(broken, IdleStrategies.byName("yield"), handler);
        Thread thread = Agents.startOnThread(runner);
        thread.join(5_000);
        assertThat(thread.isAlive()).isFalse();
        Agents.close(runner, handler);
        synchronized (errors) {
            assertThat(errors).containsExactly("broken: no appender");
        }
        synchronized (calls) {
            assertThat(calls).containsExactly("close");
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void anErrorFromDoWorkIsReportedCountedAndTheLoopGoesOn() throws Exception {
        CountDownLatch threeCalls = new CountDownLatch(3);
        List<String> errors = new ArrayList<>();
        Agent faulting = new Agent() {
            @Override
            public int doWork() {
                threeCalls.countDown();
                throw new InternalError("a fault occurred in an unsafe memory access operation");
            }

            @Override
            public String roleName() {
                return "mapped";
            }
        };
        ErrorHandler handler = (src, e) -> {
            synchronized (errors) {
                errors.add(src + ": " + e);
            }
        };
        AgentRunner runner = Agents.runner(faulting, IdleStrategies.byName("yield"), handler);
        Thread thread = Agents.startOnThread(runner);
        assertThat(threeCalls.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(thread.isAlive()).isTrue();
        Agents.close(runner, handler);
        synchronized (errors) {
            assertThat(errors).hasSizeGreaterThanOrEqualTo(3).first().isEqualTo(
                    "mapped: java.lang.InternalError: a fault occurred in an unsafe memory access operation");
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void closeReportsAnAgentThatDoesNotStopAndReturns() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch closing = new CountDownLatch(1);
        List<String> errors = new ArrayList<>();
        Agent stuck = new Agent() {
            @Override
            public int doWork() {
                running.countDown();
                return 0;
            }

            @Override
            public void onClose() {
                closing.countDown();
                // Stays stuck through interrupts, as an agent blocked in native code would, until released (or 15 s).
                long untilNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (release.getCount() > 0 && System.nanoTime() < untilNs) {
                    try {
                        release.await(100, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        // ignored on purpose
                    }
                }
            }

            @Override
            public String roleName() {
                return "stuck";
            }
        };
        ErrorHandler handler = (src, e) -> {
            synchronized (errors) {
                errors.add(src + ": " + e.getMessage());
            }
        };
        AgentRunner runner = Agents.start(stuck, IdleStrategies.byName("yield"), handler);
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        long startNs = System.nanoTime();
        Agents.close(runner, handler);
        long tookMs = (System.nanoTime() - startNs) / 1_000_000;
        release.countDown();
        assertThat(closing.await(1, TimeUnit.SECONDS)).isTrue();
        assertThat(tookMs).isBetween((long) Agents.CLOSE_WAIT_MS - 100, (long) Agents.CLOSE_WAIT_MS + 4_000);
        synchronized (errors) {
            assertThat(errors).containsExactly("stuck: did not stop within 5 s");
        }
    }

    @Test
    void errorsWithoutASourceAreReportedUnderTheThreadsName() {
        List<String> errors = new ArrayList<>();
        ErrorHandler handler = (src, e) -> errors.add(src + ": " + e.getMessage());
        handler.forSource("ingest").onError(new IllegalStateException("x"));
        org.agrona.ErrorHandler plain = handler;
        plain.onError(new IllegalStateException("y"));
        assertThat(errors).containsExactly("ingest: x", Thread.currentThread().getName() + ": y");
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
