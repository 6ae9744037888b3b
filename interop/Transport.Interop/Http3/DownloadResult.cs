namespace Transport.Interop.Http3;

/// <summary>The outcome of fetching one URL.</summary>
/// <param name="Url">The URL requested.</param>
/// <param name="Success">True when the whole body arrived (HTTP/3: status 200 and the length announced).</param>
/// <param name="Status">The HTTP status (null for hq-interop or when no response arrived).</param>
/// <param name="BytesReceived">Body bytes written to the file.</param>
/// <param name="FilePath">Where the body was written (null when nothing was).</param>
/// <param name="Error">What went wrong, when <paramref name="Success"/> is false.</param>
public sealed record DownloadResult(Uri Url, bool Success, int? Status, long BytesReceived, string? FilePath, string? Error);
