package dev.gort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Java snippet in README.md compiles: each fenced block opened by {@code ```java} is
 * compiled with {@code javax.tools.JavaCompiler} against this module's test class path (every
 * runtime module and its libraries), and a failure names the block's line in README.md and the
 * compiler's message.
 *
 * <p>The convention for snippets:
 * <ul>
 * <li>A block with a top-level type declaration (a line starting with {@code class},
 *     {@code record}, {@code interface} or {@code enum}, after modifiers) is a compilation unit
 *     and compiles as it is, with the standard imports below added before it (a block that
 *     starts with {@code package} gets none).
 * <li>Any other block is statements: its leading {@code import} lines stay imports, and the rest
 *     becomes the body of {@code static void snippet() throws Exception} in a class of its own,
 *     so a snippet may call methods that throw checked exceptions at its top level (inside a
 *     lambda, as in real code, it must handle them).
 * <li>The standard imports, on demand: {@value #STANDARD_IMPORTS}. A block may repeat them. A
 *     simple name in two of these packages ({@code Timer}: {@code java.util} and
 *     {@code dev.gort.time}; {@code Semaphore}: {@code java.util.concurrent} and
 *     {@code dev.gort.sync}) needs a single-type import in the block.
 * <li>Each block compiles alone: a block cannot use what another declares.
 * </ul>
 */
class ReadmeSnippetsTest {
    static final String STANDARD_IMPORTS = "dev.gort.*, dev.gort.sync.*, dev.gort.time.*, dev.gort.netpoll.*, "
        + "java.io.*, java.net.*, java.nio.*, java.time.*, java.util.*, java.util.concurrent.*, java.util.concurrent.atomic.*";

    private static final Pattern OPEN = Pattern.compile("^ {0,3}```java\\s*$");
    private static final Pattern CLOSE = Pattern.compile("^ {0,3}```\\s*$");
    private static final Pattern TYPE = Pattern.compile(
        "^((public|final|abstract|sealed|non-sealed|static|strictfp)\\s+)*(class|record|interface|enum)\\s+(\\w+)");
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+[\\w.*\\s]+;\\s*(//.*)?$");

    /** A fenced block: its lines and the README line (1-based) of its first one. */
    record Block(int firstLine, List<String> lines) {}

    @Test
    void everyJavaSnippetInTheReadmeCompiles(@TempDir Path out) throws IOException {
        Path readme = readme();
        List<String> errors = compileErrors(readme.getFileName().toString(), Files.readAllLines(readme, StandardCharsets.UTF_8), out);
        assertTrue(errors.isEmpty(), errors.size() + " error(s) in README.md's Java snippets:\n" + String.join("\n", errors));
    }

    @Test
    void theReadmeHasJavaSnippets() throws IOException {
        List<Block> blocks = blocks(Files.readAllLines(readme(), StandardCharsets.UTF_8));
        assertTrue(blocks.size() >= 2, "found " + blocks.size() + " ```java blocks: the extraction no longer matches README.md's fences");
    }

    @Test
    void aBrokenSnippetIsReportedWithItsReadmeLineAndTheCompilersMessage(@TempDir Path out) {
        List<String> markdown = List.of(
            "# Title",                                            // 1
            "```java",                                            // 2
            "import dev.gort.sync.WaitGroup;",                    // 3
            "WaitGroup wg = new WaitGroup();",                    // 4
            "Runnable r = () -> wg.await();",                     // 5: a Runnable's run cannot throw InterruptedException
            "```",                                                // 6
            "",                                                   // 7
            "```java",                                            // 8
            "record Point(int x, int y) {",                       // 9
            "    int sum() { return x + y + z; }",                // 10: no z
            "}",                                                  // 11
            "```",                                                // 12
            "```java",                                            // 13
            "Chan<Integer> ch = Chan.make(1);",                   // 14: fine, with a checked exception at top level
            "ch.send(1);",                                        // 15
            "```");
        List<String> errors = compileErrors("DOC.md", markdown, out);
        assertEquals(2, errors.size(), String.join("\n", errors));
        assertTrue(errors.get(0).startsWith("DOC.md:5: ") && errors.get(0).contains("InterruptedException"), errors.get(0));
        assertTrue(errors.get(1).startsWith("DOC.md:10: ") && errors.get(1).contains("symbol"), errors.get(1));
    }

    /** README.md of the project: this module's parent folder holds it. */
    private static Path readme() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("examples"))) {
                return dir.resolve("README.md");
            }
        }
        throw new AssertionError("no README.md above " + System.getProperty("user.dir"));
    }

    static List<Block> blocks(List<String> markdown) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < markdown.size(); i++) {
            if (OPEN.matcher(markdown.get(i)).matches()) {
                int first = i + 1;
                int end = first;
                while (end < markdown.size() && !CLOSE.matcher(markdown.get(end)).matches()) end++;
                blocks.add(new Block(first + 1, markdown.subList(first, end)));
                i = end;
            }
        }
        return blocks;
    }

    /**
     * Compiles each block of {@code markdown}; returns one line per compiler error,
     * {@code <name>:<line>: <message>}, the line being the markdown's.
     */
    static List<String> compileErrors(String name, List<String> markdown, Path out) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        List<String> errors = new ArrayList<>();
        for (Block block : blocks(markdown)) {
            Source src = source(block);
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            List<String> options = List.of("-proc:none", "-implicit:none", "-d", out.toString(),
                "-cp", System.getProperty("java.class.path"));
            boolean ok = javac.getTask(null, null, diagnostics, options, null, List.of(src.file())).call();
            int before = errors.size();
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() == Diagnostic.Kind.ERROR) {
                    errors.add(name + ":" + src.readmeLine((int) d.getLineNumber()) + ": " + d.getMessage(Locale.ROOT));
                }
            }
            if (!ok && errors.size() == before) {
                errors.add(name + ":" + block.firstLine() + ": the block did not compile (no message)");
            }
        }
        return errors;
    }

    /** A block as a compilation unit, with the markdown line of each of its lines (0: added). */
    private record Source(JavaFileObject file, int[] lines, int firstLine) {
        int readmeLine(int line) {
            return line >= 1 && line <= lines.length && lines[line - 1] > 0 ? lines[line - 1] : firstLine;
        }
    }

    private static Source source(Block block) {
        List<String> code = new ArrayList<>();
        List<Integer> where = new ArrayList<>();
        String className = "Snippet_" + block.firstLine();
        boolean unit = false;
        boolean hasPackage = false;
        for (String line : block.lines()) {
            Matcher m = TYPE.matcher(line);
            if (m.find()) {
                unit = true;
                if (m.group().contains("public")) className = m.group(4);
            }
            if (line.startsWith("package ")) hasPackage = true;
        }
        int n = block.lines().size();
        if (unit) {
            if (!hasPackage) add(code, where, standardImports(), 0);
            for (int i = 0; i < n; i++) add(code, where, block.lines().get(i), block.firstLine() + i);
        } else {
            int i = 0;
            for (; i < n && (IMPORT.matcher(block.lines().get(i)).matches() || block.lines().get(i).isBlank()); i++) {
                add(code, where, block.lines().get(i), block.firstLine() + i);
            }
            add(code, where, standardImports(), 0);
            add(code, where, "final class " + className + " { static void snippet() throws Exception {", 0);
            for (; i < n; i++) add(code, where, block.lines().get(i), block.firstLine() + i);
            add(code, where, "}}", 0);
        }
        String text = String.join("\n", code) + "\n";
        JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///" + className + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return text;
            }
        };
        return new Source(file, where.stream().mapToInt(Integer::intValue).toArray(), block.firstLine());
    }

    private static String standardImports() {
        StringBuilder b = new StringBuilder();
        for (String p : STANDARD_IMPORTS.split(",\\s*")) b.append("import ").append(p).append("; ");
        return b.toString();
    }

    private static void add(List<String> code, List<Integer> where, String line, int readmeLine) {
        code.add(line);
        where.add(readmeLine);
    }
}
