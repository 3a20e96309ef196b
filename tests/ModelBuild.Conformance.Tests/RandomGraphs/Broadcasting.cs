namespace ModelBuild.Conformance.Tests.RandomGraphs;

/// <summary>Numpy broadcasting over concrete dims, with the symbolic batch dim matching only itself or 1.</summary>
internal static class Broadcasting
{
    /// <summary>The broadcast dims and where the batch axis lands, or null when the shapes do not broadcast.</summary>
    public static (int[] Dims, int BatchAxis)? Shape(int[] a, int batchA, int[] b, int batchB)
    {
        var rank = Math.Max(a.Length, b.Length);
        var dims = new int[rank];
        var batch = -1;
        for (var i = 0; i < rank; i++)
        {
            var ia = i - (rank - a.Length);
            var ib = i - (rank - b.Length);
            var da = ia < 0 ? 1 : a[ia];
            var db = ib < 0 ? 1 : b[ib];
            var symA = ia >= 0 && ia == batchA;
            var symB = ib >= 0 && ib == batchB;
            if (symA || symB)
            {
                // N broadcasts with 1 or with N; equal concrete sizes are a coincidence of this run, not a match.
                if ((symA && !symB && db != 1) || (symB && !symA && da != 1))
                {
                    return null;
                }

                batch = i;
                dims[i] = symA ? da : db;
                continue;
            }

            if (da != db && da != 1 && db != 1)
            {
                return null;
            }

            dims[i] = Math.Max(da, db);
        }

        return (dims, batch);
    }
}
