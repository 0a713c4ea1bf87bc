package dev.parapet.guard.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.parapet.guard.testing.TestAssets;

/** Renders report.html in a real headless Chromium: a screenshot, and the DOM the browser built. */
class HtmlReportBrowserTest {
  @TempDir Path dir;

  private Path browserOrSkip() {
    Optional<Path> b = HeadlessBrowser.find();
    TestAssets.assume("chromium", b.isPresent(), "no headless browser found (/usr/bin/chromium); install Debian's "
        + "'chromium' package (apt-get install -y chromium) or set -Dparapet.chromium=/path/to/chromium");
    return b.get();
  }

  private Path writeReport() throws Exception {
    Path html = dir.resolve("report.html");
    Files.writeString(html, HtmlReport.render(EvalSummaryTest.smallSummary()), StandardCharsets.UTF_8);
    return html;
  }

  @Test
  void report_inHeadlessChromium_domHasEveryPlotAndTable() throws Exception {
    Path browser = browserOrSkip();
    String dom = HeadlessBrowser.run(browser, writeReport(), null, true);
    for (String id : List.of("pr-curve", "roc-curve", "calibration", "per-category", "latency-histogram")) {
      Matcher m = Pattern.compile("<svg id=\"" + id + "\"[^>]*>(.*?)</svg>", Pattern.DOTALL).matcher(dom);
      assertTrue(m.find(), "the browser's DOM has no svg#" + id);
      String svg = m.group(1);
      assertTrue(svg.contains("<polyline") || svg.contains("<rect class=\"bar\""), id + " has no data marks");
    }
    Matcher fp = Pattern.compile("<table id=\"false-positives\">(.*?)</table>", Pattern.DOTALL).matcher(dom);
    assertTrue(fp.find(), "no false-positives table");
    assertTrue(fp.group(1).contains("b6") && fp.group(1).contains("b2"), fp.group(1));
    // the data's <script> is text, not an element: the browser's DOM still shows it escaped
    assertTrue(fp.group(1).contains("&lt;script&gt;alert(1)&lt;/script&gt;"), fp.group(1));
    Matcher fn = Pattern.compile("<table id=\"false-negatives\">(.*?)</table>", Pattern.DOTALL).matcher(dom);
    assertTrue(fn.find() && fn.group(1).contains("h5"), "no false-negatives table with h5");
    assertFalse(dom.contains("<script>"), "no script element may exist");
  }

  @Test
  void report_inHeadlessChromium_screenshotIsNonTrivial() throws Exception {
    Path browser = browserOrSkip();
    Path png = dir.resolve("report.png");
    HeadlessBrowser.run(browser, writeReport(), png, false);
    assertTrue(Files.isRegularFile(png), "no screenshot written");
    String keep = System.getProperty("parapet.report.keep"); // for looking at it: -Dparapet.report.keep=DIR
    if (keep != null) {
      Files.createDirectories(Path.of(keep));
      Files.copy(png, Path.of(keep, "report.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.copy(dir.resolve("report.html"), Path.of(keep, "report.html"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    BufferedImage img = ImageIO.read(png.toFile());
    assertEquals(1280, img.getWidth());
    assertEquals(2000, img.getHeight());
    Set<Integer> colors = new HashSet<>();
    int nonWhite = 0;
    for (int y = 0; y < img.getHeight(); y += 4) {
      for (int x = 0; x < img.getWidth(); x += 4) {
        int rgb = img.getRGB(x, y) & 0xFFFFFF;
        colors.add(rgb);
        if (rgb != 0xFFFFFF) {
          nonWhite++;
        }
      }
    }
    // text, axes and the blue curves/bars: many colours and a visible share of non-white pixels
    assertTrue(colors.size() > 20, "only " + colors.size() + " colours in the screenshot");
    assertTrue(colors.contains(0x1f6fb4), "the plot colour #1f6fb4 is not in the screenshot");
    assertTrue(nonWhite > 2000, "screenshot is nearly blank: " + nonWhite + " sampled non-white pixels");
  }
}
