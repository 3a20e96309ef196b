using ModelBuild.Graph;

namespace ModelBuild.Compression.Contracts;

/// <summary>
/// One graph input for <see cref="IModelRunner"/>: the runner builds a tensor of <paramref name="ElementType"/> (the
/// type the model declares) with <paramref name="Shape"/> from <paramref name="Values"/>.
/// </summary>
/// <param name="Name">The graph input's name.</param>
/// <param name="ElementType">float, double, float16, bfloat16, int64, int32, int16, int8, uint8 or bool.</param>
/// <param name="Shape">The dims, all fixed (symbolic ones already pinned by the caller).</param>
/// <param name="Values">
/// Row-major values, one per element. The caller gives values the element type holds exactly (floats rounded to it,
/// integers in its range, 0/1 for bool), so the model under test and the reference see the same numbers.
/// </param>
public sealed record ModelInput(string Name, DataType ElementType, int[] Shape, double[] Values);
