using CriRuntime.Api.V1;
using CriRuntime.IntegrationTests.Hosting;

namespace CriRuntime.Bench.Scenarios;

/// <summary>
/// One unary Version call per series per sample, each series on its own HTTP/2 connection: :authority = the socket
/// path (kubelet/crictl &lt;= 1.30; criruntime rewrites it) and = localhost (passed through untouched). The two
/// take turns going first. An endpoint that refuses the socket path (a build without the rewrite) gets the
/// localhost series only.
/// </summary>
internal sealed class UnaryScenario : Scenario
{
    public const string PathOperation = "Version :authority=socket path";
    public const string LocalhostOperation = "Version :authority=localhost";
    private const string Version = "/runtime.v1.RuntimeService/Version";

    public override string Name => "unary";

    public override IScenarioRun Start(CriEndpoint endpoint, BenchSettings settings) => new Run(endpoint);

    private sealed class Run(CriEndpoint e) : IScenarioRun
    {
        private RawHttp2Client? _path;
        private RawHttp2Client? _localhost;

        public async Task SetupAsync(CancellationToken ct)
        {
            _localhost = await RawHttp2Client.ConnectAsync(e.SocketPath);
            _path = await RawHttp2Client.ConnectAsync(e.SocketPath);
            var probe = await _path.CallAsync(e.SocketPath, Version, []);
            if (probe.GrpcStatus == 0) return;
            Console.Error.WriteLine($"-- unary: {e.Name} refuses :authority = socket path ({probe}); localhost only");
            await _path.DisposeAsync();
            _path = null;
        }

        public async Task<IReadOnlyList<(string Operation, double Value, string Unit)>> SampleAsync(int index, CancellationToken ct)
        {
            var figures = new List<(string, double, string)>();
            // The runner flips the endpoint order every sample; flipping ours every two samples decorrelates them,
            // so each series follows the other endpoint's calls equally often.
            var pathFirst = index / 2 % 2 == 0;
            if (pathFirst && _path is not null) figures.Add((PathOperation, await TimeAsync(_path, e.SocketPath), "us"));
            figures.Add((LocalhostOperation, await TimeAsync(_localhost!, "localhost"), "us"));
            if (!pathFirst && _path is not null) figures.Add((PathOperation, await TimeAsync(_path, e.SocketPath), "us"));
            return figures;
        }

        private static async Task<double> TimeAsync(RawHttp2Client client, string authority)
        {
            var (result, ms) = await Timed.ResultAndMsAsync(() => client.CallAsync(authority, Version, []));
            if (result.GrpcStatus != 0) throw new InvalidOperationException($"Version with :authority {authority} failed: {result}");
            VersionResponse.Parser.ParseFrom(result.Messages[0]);
            return ms * 1000;
        }

        public async ValueTask DisposeAsync()
        {
            if (_path is not null) await _path.DisposeAsync();
            if (_localhost is not null) await _localhost.DisposeAsync();
        }
    }
}
