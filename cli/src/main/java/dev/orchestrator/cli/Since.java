package dev.orchestrator.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** "90s", "15m", "1h", "2d", "1w" as a duration. Pure. */
public final class Since {

    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*([smhdw])");

    private Since() {
    }

    public static Duration parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new CliException(Exit.USAGE, "--since '" + text + "' is not a duration like 90s, 15m, 1h, 2d or 1w");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofDays(7 * n);
        };
    }
}
