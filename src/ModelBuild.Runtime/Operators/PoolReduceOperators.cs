namespace ModelBuild.Runtime;

/// <summary>
/// How a pooling window folds its taps (<see cref="Kernels.PoolRows{TR}"/>): the fold itself at any register width, the
/// value of a tap outside the input (never changes the fold), and whether the result is divided by a tap count.
/// </summary>
internal interface IPoolReduce
{
    /// <summary>The fold's identity: what padding and ceil-mode overhang contribute.</summary>
    static abstract float Identity { get; }

    /// <summary>True for AveragePool: the fold is divided by the window's tap count.</summary>
    static abstract bool Averages { get; }

    static abstract TV Fold<TW, TV>(TV a, TV b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct;
}

/// <summary>MaxPool: <c>max(a, b)</c>, NaN-propagating like <see cref="MathF.Max(float, float)"/>; padding is −∞, so it never wins.</summary>
internal readonly struct MaxPoolReduce : IPoolReduce
{
    public static float Identity => float.NegativeInfinity;

    public static bool Averages => false;

    public static TV Fold<TW, TV>(TV a, TV b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct => TW.Max(a, b);
}

/// <summary>AveragePool: <c>a + b</c>, padding 0, then divided by the count of taps (inside the input or the padded input).</summary>
internal readonly struct SumPoolReduce : IPoolReduce
{
    public static float Identity => 0f;

    public static bool Averages => true;

    public static TV Fold<TW, TV>(TV a, TV b)
        where TW : struct, IVectorWidth<TV>
        where TV : struct => TW.Add(a, b);
}
