namespace ModelBuild.Runtime.Execution;

/// <summary>
/// Makes ReadyToRun precompile the instantiations generated code calls. <see cref="Predictors"/>' generic helpers
/// are instantiated over the tensor element types (float, long, bool) by the generated class, which lives in the
/// user's assembly: crossgen2 compiles only the instantiations it sees used inside this assembly, so each one (and
/// the span casts it inlines) was JIT-compiled in every process's first prediction (cold start, issue 12). Never
/// called: crossgen2 compiles every method of the assembly, and with it the instantiations these reference.
/// </summary>
internal static class ReadyToRunRoots
{
    /// <summary>References each generic helper once per element type the plan format allows (float32, int64, bool).</summary>
    internal static void Instantiations(OpContext context)
    {
        Element<float>(context);
        Element<long>(context);
        Element<bool>(context);
    }

    private static void Element<T>(OpContext context)
        where T : unmanaged
    {
        Predictors.SetInput<T>(context, 0, default, default);
        Predictors.Run<T>(context.Program, context, 0, default, default);
        _ = Predictors.ReadOutput<T>(context, 0, out _);
        _ = Predictors.CopyOutput<T>(context, 0, default, default, "");
        Predictors.CopyExact<T>(context, 0, default, "");
        Chunks<T, float>(context);
        Chunks<T, long>(context);
        Chunks<T, bool>(context);
    }

    /// <summary>The batched Predict's runner, per input and output element type.</summary>
    private static void Chunks<TIn, TOut>(OpContext context)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        BatchChunks.Dynamic<TIn, TOut>((_, _) => context, context.Program, default, default, default, 0, 0, 0, 0, "");
        BatchChunks.Fixed<TIn, TOut>((_, _) => context, 1, default, default, default, 0, 1, 0, 0, 0, "");
    }
}
