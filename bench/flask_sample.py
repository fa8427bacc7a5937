"""The seed's Flask sample, for `npm run bench` to measure side by side with the local stack:
its delivery-report and USSD routes exactly as the seed writes them (print the payload, answer
at once, store nothing), served by `app.run` with threads as the seed runs it."""
import sys

from flask import Flask, Response, request

app = Flask(__name__)


@app.route("/api/sms/delivery-reports", methods=["POST"])
def sms_delivery_report():
    payload = {key: request.values.get(key) for key in request.values.keys()}

    print("📩 SMS Delivery Report Received:")
    for key, value in payload.items():
        print(f"   {key}: {value}")

    return Response("OK", status=200)


@app.route("/api/ussd/session", methods=["POST"])
def ussd_handler():
    session_id = request.values.get("sessionId", None)
    serviceCode = request.values.get("serviceCode", None)
    phone_number = request.values.get("phoneNumber", None)
    text = request.values.get("text", "")

    if text == "":
        response = "CON What would you want to check \n"
        response += "1. My Account \n"
        response += "2. My phone number"
    elif text == "1":
        response = "CON Choose account information you want to view \n"
        response += "1. Account number"
    elif text == "2":
        response = "END Your phone number is " + str(phone_number)
    elif text == "1*1":
        accountNumber = "ACC1001"
        response = "END Your account number is " + accountNumber
    else:
        response = "END Invalid choice"

    return response


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
