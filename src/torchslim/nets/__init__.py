"""The TF-Slim nets, with their tensorflow/models signatures and variable names."""
