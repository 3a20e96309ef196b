using System.Diagnostics.Tracing;

namespace ModelBuild.Benchmarks;

/// <summary>
/// `quick cold-parts` with MODELBUILD_LIST_LOADS=1: the runtime's type loads (TypeLoadStart/Stop, keyword
/// TypeDiagnostic) and ReadyToRun entry-point lookups (R2RGetEntryPoint, keyword CompilationDiagnostic) of the
/// first prediction, in order, with the time from each event to the next on the same thread: what a cold start
/// spends in the runtime on behalf of precompiled code.
/// </summary>
internal sealed class LoadListener : EventListener
{
    public List<(DateTime At, string Line)> Events { get; } = [];

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)(0x8000000000 | 0x2000000000));
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.Payload is not { } p)
        {
            return;
        }

        string text = e.EventName switch
        {
            "TypeLoadStart" => "type> " + string.Join(' ', p),
            "TypeLoadStop" => "type< " + string.Join(' ', p),
            "R2RGetEntryPoint" => "r2r   " + string.Join(' ', p.Take(3)),
            "R2RGetEntryPointStart" => "r2r>  " + string.Join(' ', p),
            _ => e.EventName + " " + string.Join(' ', p),
        };
        lock (Events)
        {
            Events.Add((e.TimeStamp, text));
        }
    }
}
