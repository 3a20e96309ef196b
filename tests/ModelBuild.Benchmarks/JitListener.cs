using System.Diagnostics.Tracing;

namespace ModelBuild.Benchmarks;

/// <summary>
/// Lists the methods the JIT compiles while it is enabled, with the time each took (from the runtime's
/// MethodJittingStarted event to its MethodLoadVerbose event, same method id) and the tier it was compiled at, for
/// `quick cold-parts` with MODELBUILD_LIST_JIT=1: what ReadyToRun did not cover, and which of it costs. The times
/// are wall time on the compiling thread, so on a loaded machine they include waiting for a core; compare them
/// with each other, not across runs.
/// </summary>
internal sealed class JitListener : EventListener
{
    private readonly Dictionary<ulong, (string Name, int IlSize, DateTime Start)> _started = [];

    /// <summary>One line per compiled method: milliseconds, IL bytes, tier, name; in compilation order.</summary>
    public List<(double Ms, string Line)> Methods { get; } = [];

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x10); // JitKeyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.Payload is not { } p)
        {
            return;
        }

        lock (Methods)
        {
            if (e.EventName == "MethodJittingStarted_V1" && p.Count >= 6)
            {
                _started[Convert.ToUInt64(p[0], System.Globalization.CultureInfo.InvariantCulture)] =
                    ($"{p[4]}::{p[5]} {p[6]}", Convert.ToInt32(p[3], System.Globalization.CultureInfo.InvariantCulture), e.TimeStamp);
            }
            else if (e.EventName is { } name && name.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) && p.Count >= 8)
            {
                ulong id = Convert.ToUInt64(p[0], System.Globalization.CultureInfo.InvariantCulture);
                if (_started.Remove(id, out var s))
                {
                    // MethodFlags: bit 6 = ReadyToRun code existed but was rejected; bits 7-9 = optimization tier
                    // (1 MinOpts, 2 Optimized, 3 QuickJitted, 4 OptimizedTier1, 5 OSR, 6/7 instrumented tier0/tier1).
                    int flags = Convert.ToInt32(p[5], System.Globalization.CultureInfo.InvariantCulture);
                    string tier = ((flags >> 7) & 7) switch { 1 => "minopt", 2 => "opt", 3 => "tier0", 4 => "tier1", 5 => "osr", 6 => "tier0-instr", 7 => "tier1-instr", var t => $"t{t}" };
                    if ((flags & 0x40) != 0)
                    {
                        tier += ",r2r-rejected";
                    }

                    double ms = (e.TimeStamp - s.Start).TotalMilliseconds;
                    Methods.Add((ms, $"{ms,7:F2} ms {s.IlSize,6} B IL  {tier,-18} {s.Name}"));
                }
            }
        }
    }
}
