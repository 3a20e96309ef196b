using SkiaSharp;

namespace ModelBuild.Compression.Tests.Support;

/// <summary>
/// Real text lines for PP-OCR's direction classifier: words drawn with the system's TrueType fonts (SkiaSharp), dark
/// ink on light paper, resized and right-padded the way PaddleOCR's <c>resize_norm_img</c> does for the classifier
/// (height 48, width <c>min(192, ⌈48·w/h⌉)</c>, values <c>(x/255 − 0.5)/0.5</c>, padding 0), odd lines turned by 180°
/// before the resize, as a crop of upside-down text would be. Output: float32 [count, 3, 48, 192], NCHW.
/// </summary>
internal static class TextLineRenderer
{
    private const int Height = 48;
    private const int Width = 192;

    private static readonly string[] Words =
    [
        "invoice", "total", "2026-12-01", "Receipt No. 4471", "THANK YOU", "Main Street 12", "price", "€ 19.99",
        "Compression", "quick brown fox", "Order #10023", "Qty 3", "subtotal", "VAT 20%", "Hello World", "Tel. 555-0182",
        "Paid by card", "Station", "Exit 4B", "model", "ONNX Runtime", "Monday", "delivery", "09:45 AM", "Account",
        "Balance 1,204.50", "Name:", "Date", "signature", "Page 3 of 7", "warning", "Keep dry", "batch 64", "ID 88213",
    ];

    /// <summary>The TrueType fonts found under /usr/share/fonts (sorted, so the lines are the same on every run).</summary>
    public static IReadOnlyList<string> Fonts { get; } = FindFonts();

    /// <summary>
    /// <paramref name="count"/> rendered lines, numbered from <paramref name="first"/> (a calibration set takes a range the
    /// measured set does not); the same arguments give the same pixels. Throws when no font is installed
    /// (callers skip first with <see cref="Fonts"/>).
    /// </summary>
    public static float[] Render(int count, int first = 0)
    {
        if (Fonts.Count == 0)
        {
            throw new InvalidOperationException("No TrueType font under /usr/share/fonts (install fonts-dejavu-core).");
        }

        var result = new float[count * 3 * Height * Width];
        for (var n = 0; n < count; n++)
        {
            var random = new Random(7000 + first + n);
            var text = Words[random.Next(Words.Length)] + (random.Next(2) == 0 ? " " + Words[random.Next(Words.Length)] : "");
            var gray = Draw(text, Fonts[random.Next(Fonts.Count)], random, out var drawnWidth);
            var turned = n % 2 == 1;
            for (var c = 0; c < 3; c++)
            {
                var plane = ((n * 3) + c) * Height * Width;
                for (var y = 0; y < Height; y++)
                {
                    for (var x = 0; x < drawnWidth; x++)
                    {
                        var v = turned ? gray[((Height - 1 - y) * drawnWidth) + (drawnWidth - 1 - x)] : gray[(y * drawnWidth) + x];
                        result[plane + (y * Width) + x] = ((v / 255f) - 0.5f) / 0.5f;
                    }
                }
            }
        }

        return result;
    }

    /// <summary>One line as 8-bit gray, <c>drawnWidth</c> × 48, already squeezed to the classifier's width.</summary>
    private static byte[] Draw(string text, string fontPath, Random random, out int drawnWidth)
    {
        using var typeface = SKTypeface.FromFile(fontPath);
        using var font = new SKFont(typeface, 30 + random.Next(10));
        var advance = font.MeasureText(text);
        var margin = 3 + random.Next(6);
        var naturalWidth = (int)Math.Ceiling(advance) + (2 * margin);
        drawnWidth = Math.Min(Width, naturalWidth); // drawn at height 48 already, so only a long line is squeezed

        var paper = (byte)(185 + random.Next(70));
        var ink = (byte)random.Next(90);
        using var bitmap = new SKBitmap(new SKImageInfo(drawnWidth, Height, SKColorType.Gray8, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { Color = new SKColor(ink, ink, ink), IsAntialias = true })
        {
            canvas.Clear(new SKColor(paper, paper, paper));
            canvas.Scale(drawnWidth / (float)naturalWidth, 1);
            font.GetFontMetrics(out var metrics);
            var baseline = ((Height - (metrics.Descent - metrics.Ascent)) / 2) - metrics.Ascent;
            canvas.DrawText(text, margin, baseline, SKTextAlign.Left, font, paint);
        }

        var pixels = bitmap.Bytes;
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)Math.Clamp(pixels[i] + random.Next(-6, 7), 0, 255);
        }

        return pixels;
    }

    private static string[] FindFonts() =>
        Directory.Exists("/usr/share/fonts")
            ? Directory.EnumerateFiles("/usr/share/fonts", "*.ttf", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).Contains("Mono", StringComparison.Ordinal) && !Path.GetFileName(f).Contains("Math", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToArray()
            : [];
}
