using System.Diagnostics.Tracing;

namespace ModelBuild.Benchmarks;

/// <summary>
/// Lists the methods the JIT compiles while it is enabled (the runtime's MethodJittingStarted events), for
/// `quick cold-parts` with MODELBUILD_LIST_JIT=1: what ReadyToRun did not cover.
/// </summary>
internal sealed class JitListener : EventListener
{
    public List<string> Methods { get; } = [];

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x10); // JitKeyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName == "MethodJittingStarted_V1" && e.Payload is { Count: >= 6 } p)
        {
            lock (Methods)
            {
                Methods.Add($"{p[4]}::{p[5]}");
            }
        }
    }
}
