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

    /** Activity and stage of a stage topic. */
    public record StageTopic(String activity, Stage stage) {
    }

    /** The activity and stage a topic ARN stands for, if it is one of this stack's stage topics. */
    public static java.util.Optional<StageTopic> parse(String arnPrefix, String topicArn) {
        if (topicArn == null || !topicArn.startsWith(arnPrefix) || !topicArn.endsWith("-processing")) {
            return java.util.Optional.empty();
        }
        String middle = topicArn.substring(arnPrefix.length(), topicArn.length() - "-processing".length());
        int dash = middle.lastIndexOf('-');
        if (dash <= 0) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(new StageTopic(middle.substring(0, dash), Stage.fromWire(middle.substring(dash + 1))));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** The ARN from the prefix {@code arn:aws:sns:<region>:<account>:<stack>-}. */
    public static String arn(String arnPrefix, String activity, Stage stage) {
        return arnPrefix + activity + "-" + stage.wireName() + "-processing";
    }
}
