using System.Globalization;

namespace ModelBuild.Evaluation.Data;

/// <summary>
/// Pixel scaling: <c>y = (x·Scale − Mean[c]) / Std[c]</c>, written in <see cref="Layout"/>.
/// <see cref="Mean"/> and <see cref="Std"/> hold one value (all channels) or one per channel.
/// </summary>
public sealed record PreprocessingSpec(float Scale, float[] Mean, float[] Std, TensorLayout Layout)
{
    /// <summary>No change: scale 1, mean 0, std 1, NCHW.</summary>
    public static PreprocessingSpec Identity { get; } = new(1f, [0f], [1f], TensorLayout.Nchw);

    /// <summary>
    /// Applies the scaling to one image whose pixels are stored height × width × channels (interleaved, as in
    /// image files; for one channel that is simply row-major) and writes it to <paramref name="dst"/> in
    /// <see cref="Layout"/>.
    /// </summary>
    public void Apply(ReadOnlySpan<byte> pixels, int channels, int height, int width, Span<float> dst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        int plane = height * width;
        if (pixels.Length != plane * channels || dst.Length != plane * channels)
        {
            throw new ArgumentException($"An image of {channels}x{height}x{width} needs {plane * channels} pixels and outputs; got {pixels.Length} and {dst.Length}.");
        }

        CheckChannels(channels);
        for (int c = 0; c < channels; c++)
        {
            float mean = Mean.Length == 1 ? Mean[0] : Mean[c];
            float std = Std.Length == 1 ? Std[0] : Std[c];
            for (int p = 0; p < plane; p++)
            {
                float y = ((pixels[(p * channels) + c] * Scale) - mean) / std;
                dst[Layout == TensorLayout.Nchw ? (c * plane) + p : (p * channels) + c] = y;
            }
        }
    }

    /// <summary>
    /// Applies the scaling in place to values already laid out in <see cref="Layout"/>
    /// (<paramref name="channels"/> channels of <paramref name="plane"/> values each).
    /// </summary>
    public void ApplyInPlace(Span<float> values, int channels, int plane)
    {
        CheckChannels(channels);
        for (int i = 0; i < values.Length; i++)
        {
            int c = Layout == TensorLayout.Nchw ? (i / plane) % channels : i % channels;
            float mean = Mean.Length == 1 ? Mean[0] : Mean[c];
            float std = Std.Length == 1 ? Std[0] : Std[c];
            values[i] = ((values[i] * Scale) - mean) / std;
        }
    }

    /// <summary>
    /// Parses the compact form: space- or semicolon-separated <c>key=value</c> items, keys <c>scale</c>
    /// (a number or <c>1/255</c>), <c>mean</c> and <c>std</c> (comma-separated numbers), <c>layout</c>
    /// (<c>nchw</c> or <c>nhwc</c>). Missing keys keep <see cref="Identity"/>'s values. Also accepted as a
    /// whole: <c>raw</c>, <c>unit</c> (x/255), <c>symmetric</c> ((x/255−0.5)/0.5), <c>mnist</c>
    /// ((x/255−0.1307)/0.3081). Errors are MB4004.
    /// </summary>
    public static PreprocessingSpec Parse(string text, string? file = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text.Trim().ToLowerInvariant())
        {
            case "" or "raw": return Identity;
            case "unit": return Identity with { Scale = 1f / 255f };
            case "symmetric": return Identity with { Scale = 1f / 255f, Mean = [0.5f], Std = [0.5f] };
            case "mnist": return Identity with { Scale = 1f / 255f, Mean = [0.1307f], Std = [0.3081f] };
        }

        var spec = Identity;
        foreach (var item in text.Split([' ', ';', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = item.IndexOf('=', StringComparison.Ordinal);
            string key = eq < 0 ? item : item[..eq].Trim().ToLowerInvariant();
            string value = eq < 0 ? "" : item[(eq + 1)..].Trim();
            spec = key switch
            {
                "scale" => spec with { Scale = ParseScale(value, file) },
                "mean" => spec with { Mean = ParseList(value, "mean", file) },
                "std" => spec with { Std = ParseStd(value, file) },
                "layout" => spec with { Layout = ParseLayout(value, file) },
                _ => throw Error(file, $"unknown item '{item}' (expected scale=, mean=, std=, layout=)"),
            };
        }

        if (spec.Mean.Length != spec.Std.Length && spec.Mean.Length != 1 && spec.Std.Length != 1)
        {
            throw Error(file, $"mean has {spec.Mean.Length} values and std {spec.Std.Length}; give one value or one per channel");
        }

        return spec;
    }

    /// <summary>The compact form that <see cref="Parse"/> reads back.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"scale={Scale:R} mean={string.Join(",", Mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture)))} std={string.Join(",", Std.Select(s => s.ToString("R", CultureInfo.InvariantCulture)))} layout={Layout.ToString().ToLowerInvariant()}");

    private void CheckChannels(int channels)
    {
        if ((Mean.Length != 1 && Mean.Length != channels) || (Std.Length != 1 && Std.Length != channels))
        {
            throw new ArgumentException($"Mean ({Mean.Length}) and Std ({Std.Length}) need 1 or {channels} values.");
        }
    }

    private static float ParseScale(string value, string? file)
    {
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return ParseNumber(value, "scale", file);
        }

        // "1/255" is kept as the float quotient so it matches code that computes x * (1f / 255f).
        return ParseNumber(value[..slash], "scale", file) / ParseNumber(value[(slash + 1)..], "scale", file);
    }

    private static float[] ParseStd(string value, string? file)
    {
        var std = ParseList(value, "std", file);
        return std.Any(s => s == 0 || !float.IsFinite(s)) ? throw Error(file, "std values must be finite and non-zero") : std;
    }

    private static float[] ParseList(string value, string key, string? file) =>
        value.Split(',').Select(v => ParseNumber(v, key, file)).ToArray();

    private static float ParseNumber(string value, string key, string? file) =>
        float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && float.IsFinite(f)
            ? f
            : throw Error(file, $"{key} value '{value}' is not a number");

    private static TensorLayout ParseLayout(string value, string? file) => value.ToLowerInvariant() switch
    {
        "nchw" => TensorLayout.Nchw,
        "nhwc" => TensorLayout.Nhwc,
        _ => throw Error(file, $"layout '{value}' is not nchw or nhwc"),
    };

    private static ModelBuildException Error(string? file, string reason) =>
        new(EvaluationErrors.BadDatasetSpec, file, $"Bad preprocessing spec: {reason}. Example: \"scale=1/255 mean=0.5 std=0.5 layout=nchw\".");
}
