namespace ModelBuild.Runtime;

internal static partial class BlockedWinograd
{
    /// <summary>
    /// The transformed weights <c>U_ξ = (G g Gᵀ)_ξ</c> of every (oc, c) pair for F(m×m, 3×3) (<typeparamref name="TF"/>),
    /// computed in float64 and rounded once, as α² matrices of panels of <paramref name="panel"/> output channels:
    /// <c>packed[ξ][oc / panel][c][oc mod panel]</c>, zero columns padding OC to a multiple of the panel. So the GEMM tile
    /// loads a panel's row for one input channel as whole vectors.
    /// </summary>
    /// <param name="w">OC × (C·9) weights, any format (dequantised here).</param>
    /// <param name="panel">Output channels per panel: two vectors of the GEMM's width (<see cref="Plan.Panel"/>).</param>
    /// <returns>α²·⌈OC/panel⌉·panel·C floats from <see cref="PackedWeightArena"/> (huge pages for large models).</returns>
    public static ArraySegment<float> Pack<TF>(WeightMatrix w, int panel)
        where TF : struct, IWinogradTile
    {
        int alpha = TF.Alpha, oc = w.Rows, c = w.Cols / 9, ocp = (oc + panel - 1) / panel * panel, perXi = ocp * c;
        WeightMatrix.RowReader rows = w.ReadRows(new float[w.Cols]);
        ReadOnlySpan<double> g = TF.G;
        ArraySegment<float> block = PackedWeightArena.Allocate(checked(alpha * alpha * perXi));
        Span<float> packed = block;
        Span<double> gk = stackalloc double[18];
        for (int o = 0; o < oc; o++)
        {
            int at = ((o / panel) * panel * c) + (o % panel);
            ReadOnlySpan<float> row = rows[o];
            for (int ci = 0; ci < c; ci++)
            {
                ReadOnlySpan<float> k = row.Slice(ci * 9, 9);

                // gk = G·k (α×3), then U = gk·Gᵀ (α×α).
                for (int a = 0; a < alpha; a++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        gk[(a * 3) + j] = (g[a * 3] * k[j]) + (g[(a * 3) + 1] * k[3 + j]) + (g[(a * 3) + 2] * k[6 + j]);
                    }
                }

                for (int a = 0; a < alpha; a++)
                {
                    for (int b = 0; b < alpha; b++)
                    {
                        double u = (gk[a * 3] * g[b * 3]) + (gk[(a * 3) + 1] * g[(b * 3) + 1]) + (gk[(a * 3) + 2] * g[(b * 3) + 2]);
                        packed[(((a * alpha) + b) * perXi) + at + (ci * panel)] = (float)u;
                    }
                }
            }
        }

        return block;
    }
}
