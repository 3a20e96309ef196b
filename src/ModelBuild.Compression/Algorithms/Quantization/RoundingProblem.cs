namespace ModelBuild.Compression.Algorithms.Quantization;

/// <summary>
/// AdaRound's unknowns for one matrix: which weights may round up or down (<see cref="IsVariable"/>), the code below
/// each (<see cref="Floor"/>), its grid's scale and zero point, and the continuous variable V that chooses.
/// </summary>
/// <remarks>
/// Outliers, pruned zeros and weights at the edge of the code range (nothing above or below to choose) are fixed at
/// round to nearest's value and only enter the loss as constants.
/// </remarks>
internal sealed class RoundingProblem
{
    private const double Zeta = 1.1;
    private const double Gamma = -0.1;

    private RoundingProblem(double[] w, int cols)
    {
        W = w;
        Cols = cols;
        IsVariable = new bool[w.Length];
        Floor = new int[w.Length];
        Scale = new double[w.Length];
        ZeroPoint = new int[w.Length];
        V = new double[w.Length];
        Fixed = new float[w.Length];
    }

    public double[] W { get; }

    public int Cols { get; }

    public bool[] IsVariable { get; }

    /// <summary>The code rounded down to (variables) or the code kept (fixed weights at the range's edge).</summary>
    public int[] Floor { get; }

    public double[] Scale { get; }

    public int[] ZeroPoint { get; }

    /// <summary>The rounding variables; h(V) ∈ [0, 1] is the soft share of the step up.</summary>
    public double[] V { get; }

    /// <summary>The decoded value of a fixed weight.</summary>
    public float[] Fixed { get; }

    public int Variables { get; private set; }

    /// <summary>Sets up the choice on round to nearest's grids (<paramref name="grids"/>), starting at W̃ = W.</summary>
    public static RoundingProblem Create(double[] w, int rows, int cols, QuantizedMatrix grids, bool[]? outliers, bool[]? fixedZeros)
    {
        var problem = new RoundingProblem(w, cols);
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                var i = (r * cols) + c;
                var grid = grids.GridAt(r, c);
                if ((outliers?[i] ?? false) || (fixedZeros?[i] ?? false))
                {
                    problem.Fixed[i] = outliers?[i] ?? false ? (float)(Half)w[i] : grid.Value(grid.Code(0));
                    continue;
                }

                var position = (w[i] / grid.Scale) + grid.ZeroPoint;
                var floor = (int)Math.Clamp(Math.Floor(position), grid.QMin, grid.QMax);
                problem.Floor[i] = floor;
                problem.Scale[i] = grid.Scale;
                problem.ZeroPoint[i] = grid.ZeroPoint;
                if (floor >= grid.QMax || position < grid.QMin)
                {
                    problem.Fixed[i] = grid.Value(floor);
                    continue;
                }

                // h(V) = fractional part at the start (the authors' initialisation): σ(V) = (frac − γ)/(ζ − γ).
                var fraction = Math.Clamp(position - floor, 0, 1);
                problem.V[i] = -Math.Log(((Zeta - Gamma) / (fraction - Gamma)) - 1);
                problem.IsVariable[i] = true;
                problem.Variables++;
            }
        }

        return problem;
    }

    /// <summary>W̃ − W with the soft rounding h(V); <paramref name="sigmoid"/> receives σ(V) of each variable (for the gradient).</summary>
    public void SoftDelta(float[] delta, double[] sigmoid)
    {
        for (var i = 0; i < W.Length; i++)
        {
            if (!IsVariable[i])
            {
                delta[i] = (float)(Fixed[i] - W[i]);
                continue;
            }

            var s = 1 / (1 + Math.Exp(-V[i]));
            sigmoid[i] = s;
            var h = Math.Clamp((s * (Zeta - Gamma)) + Gamma, 0, 1);
            delta[i] = (float)((Scale[i] * (Floor[i] - ZeroPoint[i] + h)) - W[i]);
        }
    }

    /// <summary>Writes the hard rounding (up where V ≥ 0) into <paramref name="result"/> and returns the decoded values.</summary>
    public float[] HardRound(QuantizedMatrix result, bool[]? outliers, bool[]? fixedZeros)
    {
        var decoded = new float[W.Length];
        for (var i = 0; i < W.Length; i++)
        {
            var (r, c) = (i / Cols, i % Cols);
            decoded[i] = outliers?[i] ?? false ? result.KeepOutlier(r, c, W[i])
                : fixedZeros?[i] ?? false ? result.Quantize(r, c, 0)
                : result.SetCode(r, c, Floor[i] + (IsVariable[i] && V[i] >= 0 ? 1 : 0));
        }

        return decoded;
    }
}
