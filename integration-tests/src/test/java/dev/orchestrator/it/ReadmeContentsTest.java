package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's table of contents guides: each of its links opens a real heading of the README (the
 * anchor GitHub renders for it) or a file of the repository, every section (## heading) is listed,
 * and the README's other links to its own headings resolve too.
 */
class ReadmeContentsTest {

    static final Path README = TemplateContractTest.ROOT.resolve("README.md");
    static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    static final Pattern LINK = Pattern.compile("\\[([^\\]]*)\\]\\(([^)\\s]+)\\)");

    /** The README's lines outside fenced code blocks (a '#' line in a shell sample is no heading). */
    static List<String> prose() throws IOException {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(README)) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
                continue;
            }
            out.add(fenced ? "" : line);
        }
        return out;
    }

    /** GitHub's anchor of a heading: markup dropped, lower case, punctuation removed, spaces to hyphens. */
    static String anchor(String heading) {
        String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1").replace("`", "").toLowerCase();
        StringBuilder b = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                b.appendCodePoint(c);
            } else if (c == ' ') {
                b.append('-');
            }
        });
        return b.toString();
    }

    /** Every heading's anchor, with GitHub's -1, -2 suffixes for repeated headings. */
    static Set<String> anchors(List<String> lines) {
        Set<String> out = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : lines) {
            Matcher m = HEADING.matcher(line);
            if (m.matches()) {
                String a = anchor(m.group(2));
                int n = seen.merge(a, 1, Integer::sum) - 1;
                out.add(n == 0 ? a : a + "-" + n);
            }
        }
        return out;
    }

    /** The lines of the "## Contents" section. */
    static List<String> contents(List<String> lines) {
        int start = lines.indexOf("## Contents");
        assertThat(start).as("README.md has a '## Contents' section").isNotNegative();
        int end = start + 1;
        while (end < lines.size() && !lines.get(end).startsWith("## ")) {
            end++;
        }
        return lines.subList(start + 1, end);
    }

    static List<String> targets(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            Matcher m = LINK.matcher(line);
            while (m.find()) {
                out.add(m.group(2));
            }
        }
        return out;
    }

    @Test
    void anchorsAreThoseGitHubRenders() {
        assertThat(anchor("The `orchestrator` CLI")).isEqualTo("the-orchestrator-cli");
        assertThat(anchor("How the stack behaves on AWS (choices)")).isEqualTo("how-the-stack-behaves-on-aws-choices");
        assertThat(anchor("Security: a plugin writes only its own executions"))
                .isEqualTo("security-a-plugin-writes-only-its-own-executions");
        assertThat(anchors(List.of("## Logs", "### Logs", "```"))).containsExactly("logs", "logs-1");
    }

    @Test
    void everyContentsLinkOpensAHeadingOrAFile() throws IOException {
        List<String> lines = prose();
        Set<String> anchors = anchors(lines);
        List<String> toc = targets(contents(lines));
        assertThat(toc).as("the table of contents lists the sections").hasSizeGreaterThan(10);
        for (String target : toc) {
            if (target.startsWith("#")) {
                assertThat(anchors).as("contents link %s opens a heading of README.md", target).contains(target.substring(1));
            } else {
                Path file = README.getParent().resolve(target.replaceAll("#.*", ""));
                assertThat(file).as("contents link %s opens a file of the repository", target).exists();
            }
        }
    }

    @Test
    void everySectionIsInTheContents() throws IOException {
        List<String> lines = prose();
        Set<String> listed = new LinkedHashSet<>();
        targets(contents(lines)).forEach(t -> listed.add(t.startsWith("#") ? t.substring(1) : t));
        for (String line : lines) {
            if (line.startsWith("## ") && !line.equals("## Contents")) {
                assertThat(listed).as("section '%s' is listed in the contents", line).contains(anchor(line.substring(3)));
            }
        }
    }

    @Test
    void everyLinkToAReadmeHeadingResolves() throws IOException {
        List<String> lines = prose();
        Set<String> anchors = anchors(lines);
        for (String target : targets(lines)) {
            if (target.startsWith("#")) {
                assertThat(anchors).as("README link %s opens a heading", target).contains(target.substring(1));
            }
        }
    }
}
