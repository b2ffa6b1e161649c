package dev.orchestrator.bench;

import dev.orchestrator.core.AwsClients;
import java.lang.management.ManagementFactory;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Diagnostics for a cold start (BENCH_COLD_TRACE set): prints to stderr, with the JVM's uptime, when
 * each AWS call starts, goes on the wire and ends, so a slow phase can be told from a slow emulator.
 * Loads the management classes, so traced samples are slower than measured ones.
 */
final class ColdTrace implements ExecutionInterceptor {

    private ColdTrace() {
    }

    static void install() {
        AwsClients.observe(new ColdTrace());
        mark("handler start");
    }

    static void mark(String what) {
        System.err.printf("[trace %5d ms] %s%n", ManagementFactory.getRuntimeMXBean().getUptime(), what);
    }

    private static String op(ExecutionAttributes a) {
        return a.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + "." + a.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        mark("call " + op(attributes));
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        mark("  wire " + op(attributes));
    }

    @Override
    public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
        mark("  failed " + op(attributes) + ": " + context.exception().getMessage());
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        mark("  done " + op(attributes));
    }
}
