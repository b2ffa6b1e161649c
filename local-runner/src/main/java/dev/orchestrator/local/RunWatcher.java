package dev.orchestrator.local;

import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import java.time.Duration;
import java.util.Optional;

/** Follows one run in the status table, printing each change, until it ends or time runs out. */
final class RunWatcher {

    private final StatusStore store;
    private final Progress progress;

    RunWatcher(StatusStore store, Progress progress) {
        this.store = store;
        this.progress = progress;
    }

    Optional<WorkflowRun> follow(String uid, String workflow, Duration timeout) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        WorkflowRun last = null;
        int lastPercent = -1;
        while (System.currentTimeMillis() < deadline) {
            Optional<WorkflowRun> now = store.get(uid, workflow);
            if (now.isPresent()) {
                Transitions.between(last, now.get()).forEach(progress::step);
                int percent = Transitions.percentDone(now.get());
                if (percent != lastPercent) {
                    progress.bar(percent, uid + "/" + workflow);
                    lastPercent = percent;
                }
                last = now.get();
                if (last.status().isTerminal() && last.notifiedAt() != null) {
                    return Optional.of(last);
                }
            }
            sleep(150);
        }
        return Optional.ofNullable(last);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
