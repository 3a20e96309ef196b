namespace ModelBuild.Evaluation.Data;

/// <summary>How a sample's channel, height and width axes are ordered.</summary>
public enum TensorLayout
{
    /// <summary>Channels first: [C, H, W] per sample.</summary>
    Nchw,

    /// <summary>Channels last: [H, W, C] per sample.</summary>
    Nhwc,
}
