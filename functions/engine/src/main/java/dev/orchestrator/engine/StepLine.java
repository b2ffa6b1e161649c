package dev.orchestrator.engine;

import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one engine write logs, decided without I/O: one line for all the run, activity and stage changes it wrote,
 * in order ({@code "A/parallel Complete; A Complete; B In Progress; B/pre Complete (no plugins)"}), with the cause
 * of a run's or activity's end when it has one. Plugin changes are not in it: each keeps a WARN line of its own.
 */
record StepLine(String changes, String cause, Object[] fields) {

    /** What a write did beside its changes (a stage entered, a stage published): one more part, and its fields. */
    record Also(String part, Object... fields) {
        static final Also NONE = new Also(null);
    }

    /** The log line's message. */
    static final String MESSAGE = "run advanced";
    /** Marks a stage that ended because it had no plugins to run (never entered: no roster, never published). */
    static final String NO_PLUGINS = " (no plugins)";

    /** The line for a write of {@code pending} onto {@code base} that also did {@code also}; empty when it changed plugins only. */
    static Optional<StepLine> of(WorkflowRun base, List<Change> pending, Also also) {
        List<String> parts = new ArrayList<>();
        String runCause = null;
        List<String> activityCauses = new ArrayList<>();
        for (Change c : pending) {
            switch (c.level()) {
                case RUN -> {
                    parts.add("run " + c.state().wire());
                    if (c.message() != null && c.state() != State.IN_PROGRESS) {
                        runCause = c.message();
                    }
                }
                case ACTIVITY -> {
                    parts.add(c.activity() + " " + c.state().wire());
                    if (c.message() != null && c.state() != State.IN_PROGRESS) {
                        activityCauses.add(c.activity() + ": " + c.message());
                    }
                }
                case STAGE -> parts.add(c.activity() + "/" + c.stage().wireName() + " " + c.state().wire()
                        + (endedEmpty(base, c) ? NO_PLUGINS : ""));
                default -> { }
            }
        }
        if (also.part() != null) {
            parts.add(also.part());
        }
        if (parts.isEmpty()) {
            return Optional.empty();
        }
        String cause = runCause != null ? runCause : activityCauses.isEmpty() ? null : String.join("; ", activityCauses);
        return Optional.of(new StepLine(String.join("; ", parts), cause, also.fields()));
    }

    /** The line's key/value pairs: changes, cause, then what {@link Also} added. */
    Object[] keyValues() {
        Object[] out = new Object[4 + fields.length];
        out[0] = "changes";
        out[1] = changes;
        out[2] = "cause";
        out[3] = cause;
        System.arraycopy(fields, 0, out, 4, fields.length);
        return out;
    }

    /** A stage that ends Complete without ever being entered: it had no plugins to run ({@link Planner#skipEmpty}). */
    static boolean endedEmpty(WorkflowRun base, Change c) {
        if (c.level() != Change.Level.STAGE || c.state() != State.COMPLETE || !base.activities().containsKey(c.activity())) {
            return false;
        }
        StageStatus s = base.activity(c.activity()).stage(c.stage());
        return s.rosterVersion() == null && s.publishedAt() == null && s.plugins().isEmpty();
    }
}
