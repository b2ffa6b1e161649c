package dev.orchestrator.core;

/**
 * Stage topic names: {@code <Stack>-<Activity>-<pre|parallel|post>-processing}, the same string as the
 * export, so a plugin stack imports exactly the topic name it sees in the console.
 */
public final class Topics {

    private Topics() {
    }

    public static String name(String stackName, String activity, Stage stage) {
        return stackName + "-" + activity + "-" + stage.wireName() + "-processing";
    }

    /** The ARN from the prefix {@code arn:aws:sns:<region>:<account>:<stack>-}. */
    public static String arn(String arnPrefix, String activity, Stage stage) {
        return arnPrefix + activity + "-" + stage.wireName() + "-processing";
    }
}
