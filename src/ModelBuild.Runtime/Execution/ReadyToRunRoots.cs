namespace ModelBuild.Runtime.Execution;

/// <summary>
/// Never called. crossgen2 (ReadyToRun.targets) precompiles the generic instantiations it finds in this assembly's
/// code, but generated predictors instantiate <see cref="Predictors"/>' generic methods with their tensors' element
/// types from the user's assembly, which crossgen2 does not see: each would be JIT-compiled on the first
/// <c>Predict</c>. Naming the instantiations here puts their code in this assembly's ReadyToRun image.
/// </summary>
internal static class ReadyToRunRoots
{
    internal static void Instantiate(OpContext context, Span<int> shape)
    {
        Roots<float>(context, shape);
        Roots<long>(context, shape);
        Roots<bool>(context, shape);
    }

    private static void Roots<T>(OpContext context, Span<int> shape)
        where T : unmanaged
    {
        Predictors.SetInput<T>(context, 0, default, shape);
        Predictors.CopyOutput<T>(context, 0, default, shape, "");
        Predictors.CopyExact<T>(context, 0, default, "");
        _ = Predictors.ReadOutput<T>(context, 0, out _);
    }
}
