using ModelBuild.Generator.Model;

namespace ModelBuild.Generator.Tests.Execution;

/// <summary>Direct-loop NCHW convolution and pooling in float64 (the ONNX Conv / MaxPool / AveragePool formulas).</summary>
internal static class ConvReference
{
    public static void Conv(double[] x, double[] weight, double[] bias, double[] y, OpSpec op)
    {
        int c = op.Int("c"), h = op.Int("h"), w = op.Int("w"), oc = op.Int("oc"), oh = op.Int("oh"), ow = op.Int("ow");
        int kh = op.Int("kh"), kw = op.Int("kw"), group = op.Int("group");
        var cPerGroup = c / group;
        var ocPerGroup = oc / group;
        for (var o = 0; o < oc; o++)
        {
            var g = o / ocPerGroup;
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    var sum = bias[o];
                    for (var ci = 0; ci < cPerGroup; ci++)
                    {
                        for (var ky = 0; ky < kh; ky++)
                        {
                            for (var kx = 0; kx < kw; kx++)
                            {
                                var iy = (oy * op.Int("sh")) - op.Int("pt") + (ky * op.Int("dh"));
                                var ix = (ox * op.Int("sw")) - op.Int("pl") + (kx * op.Int("dw"));
                                if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                {
                                    var input = x[((((g * cPerGroup) + ci) * h) + iy) * w + ix];
                                    sum += input * weight[(((((o * cPerGroup) + ci) * kh) + ky) * kw) + kx];
                                }
                            }
                        }
                    }

                    y[(((o * oh) + oy) * ow) + ox] = op["act"] == "relu" ? Math.Max(0, sum) : sum;
                }
            }
        }
    }

    public static void Pool(double[] x, double[] y, OpSpec op)
    {
        int c = op.Int("c"), h = op.Int("h"), w = op.Int("w"), oh = op.Int("oh"), ow = op.Int("ow");
        var max = op.Kind == "MaxPool";
        var includePad = !max && op["countIncludePad"] == "1";
        for (var ch = 0; ch < c; ch++)
        {
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    var best = double.NegativeInfinity;
                    var sum = 0.0;
                    var count = 0;
                    var padded = 0;
                    for (var ky = 0; ky < op.Int("kh"); ky++)
                    {
                        for (var kx = 0; kx < op.Int("kw"); kx++)
                        {
                            var iy = (oy * op.Int("sh")) - op.Int("pt") + (ky * op.Int("dh"));
                            var ix = (ox * op.Int("sw")) - op.Int("pl") + (kx * op.Int("dw"));
                            if (iy >= -op.Int("pt") && iy < h + op.Int("pb") && ix >= -op.Int("pl") && ix < w + op.Int("pr"))
                            {
                                padded++;
                            }

                            if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                            {
                                var v = x[(((ch * h) + iy) * w) + ix];
                                best = Math.Max(best, v);
                                sum += v;
                                count++;
                            }
                        }
                    }

                    y[(((ch * oh) + oy) * ow) + ox] = max ? best : sum / (includePad ? padded : count);
                }
            }
        }
    }
}
