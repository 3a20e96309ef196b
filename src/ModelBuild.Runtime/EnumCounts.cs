namespace ModelBuild.Runtime;

/// <summary>
/// Member counts of the function enums, for the argument checks of the public kernels. The enums number their
/// members 0, 1, 2… (no explicit values), so <c>(uint)f &lt; count</c> is <c>Enum.IsDefined(f)</c>; the generic
/// <c>Enum.IsDefined&lt;T&gt;</c> is an instantiation ReadyToRun cannot precompile, so every process JIT-compiled it
/// in its first prediction (cold start, issue 12). Counted once, through the non-generic API.
/// </summary>
internal static class EnumCounts
{
    /// <summary>Members of <see cref="UnaryFunction"/>.</summary>
    public static readonly uint Unary = (uint)Enum.GetNames(typeof(UnaryFunction)).Length;

    /// <summary>Members of <see cref="BinaryFunction"/>.</summary>
    public static readonly uint Binary = (uint)Enum.GetNames(typeof(BinaryFunction)).Length;
}
