using System.Globalization;

namespace ModelBuild;

/// <summary>
/// Runs the enclosed code with the invariant culture, so every number in a message, report, summary or log line
/// reads the same on every machine ("4.0x", "1,648.6 KiB"): build logs are compared, grepped and pasted into issues.
/// The entry points (the pipeline, the command line) enter it once, which covers every interpolation beneath them,
/// exceptions included; the culture flows into tasks and parallel loops with the execution context.
/// </summary>
public readonly struct InvariantCultureScope : IDisposable
{
    private readonly CultureInfo _culture;
    private readonly CultureInfo _uiCulture;

    private InvariantCultureScope(CultureInfo culture, CultureInfo uiCulture)
    {
        _culture = culture;
        _uiCulture = uiCulture;
    }

    public static InvariantCultureScope Enter()
    {
        var scope = new InvariantCultureScope(CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        return scope;
    }

    public void Dispose()
    {
        if (_culture is not null)
        {
            CultureInfo.CurrentCulture = _culture;
            CultureInfo.CurrentUICulture = _uiCulture;
        }
    }
}
