namespace ModelBuild.Runtime;

/// <summary>A 2-D convolution, NCHW, per sample (the plan's <c>Conv</c> record).</summary>
/// <param name="C">Input channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="OC">Output channels.</param>
/// <param name="OH">Output height.</param>
/// <param name="OW">Output width.</param>
/// <param name="KH">Kernel height.</param>
/// <param name="KW">Kernel width.</param>
/// <param name="SH">Vertical stride.</param>
/// <param name="SW">Horizontal stride.</param>
/// <param name="DH">Vertical dilation.</param>
/// <param name="DW">Horizontal dilation.</param>
/// <param name="PadTop">Zero rows above.</param>
/// <param name="PadLeft">Zero columns on the left.</param>
/// <param name="PadBottom">Zero rows below.</param>
/// <param name="PadRight">Zero columns on the right.</param>
/// <param name="Group">Number of groups; C and OC are multiples of it.</param>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public readonly record struct Conv2DShape(int C, int H, int W, int OC, int OH, int OW, int KH, int KW,
    int SH, int SW, int DH, int DW, int PadTop, int PadLeft, int PadBottom, int PadRight, int Group);

/// <summary>A 2-D pooling window, NCHW, per sample (the plan's <c>MaxPool</c>/<c>AveragePool</c> records).</summary>
/// <param name="C">Channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="OH">Output height.</param>
/// <param name="OW">Output width.</param>
/// <param name="KH">Window height.</param>
/// <param name="KW">Window width.</param>
/// <param name="SH">Vertical stride.</param>
/// <param name="SW">Horizontal stride.</param>
/// <param name="DH">Vertical dilation.</param>
/// <param name="DW">Horizontal dilation.</param>
/// <param name="PadTop">Padding rows above.</param>
/// <param name="PadLeft">Padding columns on the left.</param>
/// <param name="PadBottom">Padding rows below.</param>
/// <param name="PadRight">Padding columns on the right.</param>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)] // called by generated code only
public readonly record struct Pool2DShape(int C, int H, int W, int OH, int OW, int KH, int KW,
    int SH, int SW, int DH, int DW, int PadTop, int PadLeft, int PadBottom, int PadRight);
