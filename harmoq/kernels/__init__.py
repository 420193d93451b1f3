"Triton GPU kernels for quantized inference and calibration (they also run on the CPU in Triton's interpreter)."
