namespace ModelBuild.Runtime;

/// <summary>
/// Member counts of the function enums, for the argument checks of the public kernels. The enums number their
/// members 0, 1, 2… (no explicit values), so <c>(uint)f &lt; count</c> is <c>Enum.IsDefined(f)</c>. Constants from
/// each enum's last member: <c>Enum.IsDefined&lt;T&gt;</c> is an instantiation ReadyToRun cannot precompile, and
/// <c>Enum.GetNames</c> builds the enum's reflection cache, ≈ 4 ms of every process's first prediction (issue 12).
/// <c>ColdPathChecksTests</c> fails when a member is added after the one named here.
/// </summary>
internal static class EnumCounts
{
    /// <summary>Members of <see cref="UnaryFunction"/>.</summary>
    public const uint Unary = (uint)UnaryFunction.GeluTanh + 1;

    /// <summary>Members of <see cref="BinaryFunction"/>.</summary>
    public const uint Binary = (uint)BinaryFunction.PRelu + 1;
}
