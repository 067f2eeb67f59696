// liblsl's side of the Reflex/liblsl side-by-side (side-by-side.sh): the same measurements as Reflex's
// LslLatencyHarness and LslTimeCorrectionHarness, through liblsl's C++ API, so both run in one session.
//
//   lsl_peer latency <channels> <samples>     in-process outlet -> inlet, float32, 1 kHz; one line of figures
//   lsl_peer outlet <name> <seconds>          an outlet that stays up for time probes (1 ch, pushes at 100 Hz)
//   lsl_peer timecorr <name> <estimates>      time_correction() of an inlet on stream <name>, one value per
//                                             new estimate; one line of figures (us, correction to add)
//
// Configuration (loopback discovery, probe interval) comes from the file named by LSLAPICFG.
#include <lsl_cpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

double percentile(std::vector<double> v, double p) {
	if (v.empty()) return 0;
	std::sort(v.begin(), v.end());
	size_t i = static_cast<size_t>(p / 100.0 * (v.size() - 1) + 0.5);
	return v[std::min(i, v.size() - 1)];
}

int latency(int channels, int samples) {
	const int drop = 200;
	const int total = samples + drop;
	std::string name = "bench-liblsl-" + std::to_string(static_cast<long>(lsl::local_clock() * 1e6));
	lsl::stream_info info(name, "Bench", channels, 1000, lsl::cf_float32, name);
	lsl::stream_outlet outlet(info);
	std::vector<lsl::stream_info> found = lsl::resolve_stream("name", name, 1, 10);
	if (found.empty()) {
		std::fprintf(stderr, "lsl_peer: own outlet %s not resolved within 10 s\n", name.c_str());
		return 1;
	}
	lsl::stream_inlet inlet(found[0]);
	inlet.open_stream(5);
	std::vector<double> lat;
	lat.reserve(samples);
	std::thread receiver([&] {
		std::vector<float> v(channels);
		for (int i = 0; i < total; i++) {
			double ts = inlet.pull_sample(v.data(), channels, 30);
			double now = lsl::local_clock();
			if (ts == 0.0) break;
			if (i >= drop) lat.push_back((now - ts) * 1e6);
		}
	});
	outlet.wait_for_consumers(5);
	std::this_thread::sleep_for(std::chrono::seconds(1));
	std::vector<float> data(channels);
	auto next = std::chrono::steady_clock::now();
	for (int i = 0; i < total; i++) {
		for (int k = 0; k < channels; k++) data[k] = static_cast<float>(i + k);
		outlet.push_sample(data.data(), lsl::local_clock(), true);
		next += std::chrono::microseconds(1000);
		std::this_thread::sleep_until(next);
	}
	receiver.join();
	std::printf("latency float32 channels=%d samples=%zu: median=%.1f us p99=%.1f us min=%.1f us\n", channels,
		lat.size(), percentile(lat, 50), percentile(lat, 99), percentile(lat, 0));
	return lat.size() == static_cast<size_t>(samples) ? 0 : 1;
}

int outlet(const std::string &name, double seconds) {
	lsl::stream_info info(name, "Bench", 1, 100, lsl::cf_float32, name);
	lsl::stream_outlet out(info);
	std::printf("outlet %s up\n", name.c_str());
	std::fflush(stdout);
	float v = 0;
	double end = lsl::local_clock() + seconds;
	while (lsl::local_clock() < end) {
		out.push_sample(&v, lsl::local_clock());
		v += 1;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	return 0;
}

int timecorr(const std::string &name, int estimates) {
	std::vector<lsl::stream_info> found = lsl::resolve_stream("name", name, 1, 20);
	if (found.empty()) {
		std::fprintf(stderr, "lsl_peer: stream %s not resolved within 20 s\n", name.c_str());
		return 1;
	}
	lsl::stream_inlet inlet(found[0]);
	std::vector<double> corr, rtt;
	double lastRemote = -1;
	double give_up = lsl::local_clock() + 10 + estimates * 5.0;
	while (static_cast<int>(corr.size()) < estimates && lsl::local_clock() < give_up) {
		double remote = 0, uncertainty = 0;
		double c = inlet.time_correction(&remote, &uncertainty, 10);
		if (remote != lastRemote) {
			lastRemote = remote;
			corr.push_back(c * 1e6);
			rtt.push_back(uncertainty * 1e6);
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
	std::printf("timecorr liblsl-inlet stream=%s estimates=%zu: median=%.1f us min=%.1f us max=%.1f us "
				"rtt_median=%.1f us\n",
		name.c_str(), corr.size(), percentile(corr, 50), percentile(corr, 0), percentile(corr, 100),
		percentile(rtt, 50));
	return static_cast<int>(corr.size()) == estimates ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
	std::string mode = argc > 1 ? argv[1] : "";
	try {
		if (mode == "latency" && argc == 4) return latency(std::atoi(argv[2]), std::atoi(argv[3]));
		if (mode == "outlet" && argc == 4) return outlet(argv[2], std::atof(argv[3]));
		if (mode == "timecorr" && argc == 4) return timecorr(argv[2], std::atoi(argv[3]));
	} catch (std::exception &e) {
		std::fprintf(stderr, "lsl_peer: %s\n", e.what());
		return 1;
	}
	std::fprintf(stderr, "usage: lsl_peer latency <channels> <samples> | outlet <name> <seconds> | "
						 "timecorr <name> <estimates>\n");
	return 2;
}
